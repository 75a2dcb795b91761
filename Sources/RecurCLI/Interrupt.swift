#if canImport(Darwin)
import Darwin
#elseif canImport(Glibc)
import Glibc
#endif

/// Ctrl-C during long work: the first SIGINT sets a flag that the work polls at a safe point (it then
/// saves and exits with 130) and says so on stderr; a second SIGINT exits at once with 130, touching
/// no file.
enum Interrupt {
    nonisolated(unsafe) private static var count: Int32 = 0
    /// The first Ctrl-C's notice, made before any signal (the handler may only `write` it).
    nonisolated(unsafe) private static var notice: UnsafeMutablePointer<CChar>? = nil
    nonisolated(unsafe) private static var noticeLength = 0

    static func install() {
        if notice == nil {
            notice = strdup("\nCtrl-C: saving after this step; press Ctrl-C again to stop at once without saving\n")
            noticeLength = strlen(notice!)
        }
        // A parent may have started us with SIGINT blocked; Ctrl-C must reach the handler.
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
        signal(SIGINT) { _ in
            Interrupt.count += 1
            if Interrupt.count >= 2 { _exit(130) }
            if let notice = Interrupt.notice { _ = write(2, notice, Interrupt.noticeLength) }
        }
    }

    static var requested: Bool { count > 0 }

    static let exitCode: Int32 = 130
}
