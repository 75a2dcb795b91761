// swift-tools-version: 6.0
import PackageDescription
#if os(Linux) && arch(x86_64)
import Foundation
#endif

/// The instruction set of the compute modules. With RECUR_NATIVE=1 on x86-64 Linux, when the building
/// machine has AVX2 and FMA (x86-64-v3: Intel since 2013, AMD since 2015), the kernels are compiled
/// for it, as `-march=native` would: the gate kernels and the eight-lane exp/tanh then run 8 lanes per
/// instruction instead of 4 (docs/performance.md). The result runs only on such machines. Off by
/// default: a package whose targets carry such flags cannot be used as a versioned dependency.
let vectorFlags: (swift: [SwiftSetting], c: [CSetting]) = {
    #if os(Linux) && arch(x86_64)
    let cpu = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
    let flags = Set(cpu.split(separator: "\n").first { $0.hasPrefix("flags") }?.split(separator: " ").map(String.init) ?? [])
    if ProcessInfo.processInfo.environment["RECUR_NATIVE"] == "1",
       flags.isSuperset(of: ["avx2", "fma", "bmi2", "f16c", "movbe"]) {
        return ([.unsafeFlags(["-target-cpu", "haswell", "-Xcc", "-march=haswell"])], [.unsafeFlags(["-march=haswell"])])
    }
    #endif
    return ([], [])
}()

let package = Package(
    name: "Recur",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "Recur", targets: ["Recur"]),
        .executable(name: "recur", targets: ["RecurCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // CSV for the forecasting task's series (quoted fields, the delimiter guessed from the header).
        .package(url: "https://github.com/swiftcsv/SwiftCSV", from: "0.10.0"),
        // `swift package generate-documentation`: the DocC catalog Sources/Recur/Recur.docc (scripts/docs).
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
        // ONNX export writes ONNX's protobuf messages (code generated once from proto/onnx_subset.proto).
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        // Keras import reads `.keras` files, zips of config.json and model.weights.h5.
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
    ],
    targets: [
        // oneDNN's C header, reached on Linux only; macOS uses Accelerate.
        .systemLibrary(
            name: "_RecurShims",
            pkgConfig: nil,
            providers: [.apt(["libdnnl-dev"])]
        ),
        // Eight-lane exp and tanh in C vector extensions, inlined into RecurCore's gate kernels.
        .target(name: "_RecurVectorMath", cSettings: vectorFlags.c),
        // Products with one operand packed once for many calls (oneDNN's matmul primitive; Linux).
        .target(name: "_RecurPackedProduct", dependencies: ["_RecurVectorMath", .target(name: "_RecurShims", condition: .when(platforms: [.linux]))]),
        .target(
            name: "RecurCore",
            dependencies: ["_RecurVectorMath", "_RecurPackedProduct", .target(name: "_RecurShims", condition: .when(platforms: [.linux]))],
            swiftSettings: vectorFlags.swift
        ),
        // Open MPI for data-parallel training, loaded at run time (dlopen) only under --distributed.
        .target(name: "_RecurMPI"),
        // The HDF5 library for Keras's weight files, loaded at run time (dlopen) only by Keras import.
        .target(name: "_RecurHDF5"),
        .target(name: "Recur", dependencies: ["RecurCore", "_RecurMPI", "_RecurHDF5", .product(name: "SwiftCSV", package: "SwiftCSV"),
                                         .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                                         .product(name: "ZIPFoundation", package: "ZIPFoundation")],
                swiftSettings: vectorFlags.swift),
        // The `recur` command. Not named `recur`: Sources/recur and Sources/Recur would be one folder on
        // a case-insensitive disk (macOS's default).
        .executableTarget(
            name: "RecurCLI",
            dependencies: ["Recur", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        // Fuzz targets for the readers: replays files normally; libFuzzer under scripts/fuzz.
        .executableTarget(name: "recur-fuzz", dependencies: ["Recur"]),
        .target(name: "_RecurTestSupport", dependencies: ["Recur", "RecurCore"]),
        .testTarget(name: "RecurCoreTests", dependencies: ["RecurCore", "_RecurTestSupport"]),
        .testTarget(name: "RecurCLITests", dependencies: ["RecurCLI", "recur-fuzz", "RecurCore"], exclude: ["Fixtures"]),
        .testTarget(
            name: "RecurTests",
            dependencies: ["Recur", "_RecurTestSupport"],
            resources: [.copy("Fixtures")]
        ),
    ],
    swiftLanguageModes: [.v5]
)
