import Foundation
import _RecurVectorMath

/// The instruction set of the kernels chosen at run time (today the additive attention scores): one
/// build runs on any x86-64 and uses the widest vectors the CPU has.
///
/// The active set is the best this CPU supports, unless the environment variable `RECUR_ISA` names
/// another it supports (`baseline`, `avx2`, `avx512`), or `use` chooses one (tests run every
/// supported set against the reference). `baseline` is what the build targets: SSE2 on a portable
/// x86-64 build, AVX2 with `RECUR_NATIVE=1`, NEON on arm64.
public enum InstructionSet: String, CaseIterable, Sendable {
    case baseline
    case avx2
    case avx512

    var code: Int32 {
        switch self {
        case .baseline: return Int32(RECUR_ISA_BASELINE)
        case .avx2: return Int32(RECUR_ISA_AVX2)
        case .avx512: return Int32(RECUR_ISA_AVX512)
        }
    }

    /// Whether this CPU runs the kernels of this set.
    public var isSupported: Bool { recur_isa_supported(code) == 1 }

    /// The sets this CPU supports, narrowest first.
    public static var supported: [InstructionSet] { allCases.filter(\.isSupported) }

    /// The kernels' set now.
    public static var active: InstructionSet {
        _ = environmentApplied
        let code = recur_isa_active()
        return allCases.first { $0.code == code } ?? .baseline
    }

    /// Chooses the kernels' set; false (and nothing changes) when this CPU does not support it.
    @discardableResult
    public static func use(_ set: InstructionSet) -> Bool {
        _ = environmentApplied
        return recur_isa_set(set.code) == 1
    }

    /// Chooses the set of the kernels this thread calls (nil: back to the process's set), leaving the
    /// other threads' alone; false (and nothing changes) when this CPU does not support it. For tests
    /// that try every set while other tests run beside them.
    @discardableResult
    public static func useOnThisThread(_ set: InstructionSet?) -> Bool {
        _ = environmentApplied
        return recur_isa_set_for_thread(set?.code ?? -1) == 1
    }

    /// `RECUR_ISA` from the environment: nil when unset; the set when it names one this CPU supports;
    /// otherwise the reason it cannot be used.
    public static func fromEnvironment() -> Result<InstructionSet, EnvironmentError>? {
        guard let value = ProcessInfo.processInfo.environment["RECUR_ISA"], !value.isEmpty else { return nil }
        guard let set = InstructionSet(rawValue: value) else { return .failure(.unknown(value)) }
        guard set.isSupported else { return .failure(.unsupported(set)) }
        return .success(set)
    }

    public enum EnvironmentError: Error, CustomStringConvertible {
        case unknown(String)
        case unsupported(InstructionSet)

        public var description: String {
            switch self {
            case let .unknown(value):
                return "RECUR_ISA=\(value): not an instruction set; use baseline, avx2 or avx512"
            case let .unsupported(set):
                return "RECUR_ISA=\(set.rawValue): this CPU lacks it; it supports \(InstructionSet.supported.map(\.rawValue).joined(separator: ", "))"
            }
        }
    }

    /// `RECUR_ISA` applied once, before the first choice (a value that cannot be used is ignored here;
    /// the command line refuses it with `fromEnvironment`).
    private static let environmentApplied: Bool = {
        if case let .success(set)? = fromEnvironment() { recur_isa_set(set.code) }
        return true
    }()
}
