// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "Recur",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "Recur", targets: ["Recur"]),
        .executable(name: "recur", targets: ["recur"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // oneDNN's C header, reached on Linux only; macOS uses Accelerate.
        .systemLibrary(
            name: "_RecurShims",
            pkgConfig: nil,
            providers: [.apt(["libdnnl-dev"])]
        ),
        // Eight-lane exp and tanh in C vector extensions, inlined into RecurCore's gate kernels.
        .target(name: "_RecurVectorMath"),
        .target(
            name: "RecurCore",
            dependencies: ["_RecurVectorMath", .target(name: "_RecurShims", condition: .when(platforms: [.linux]))]
        ),
        .target(name: "Recur", dependencies: ["RecurCore"]),
        .executableTarget(
            name: "recur",
            dependencies: ["Recur", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        // Fuzz targets for the readers: replays files normally; libFuzzer under scripts/fuzz.
        .executableTarget(name: "recur-fuzz", dependencies: ["Recur"]),
        .target(name: "_RecurTestSupport", dependencies: ["Recur", "RecurCore"]),
        .testTarget(name: "RecurCoreTests", dependencies: ["RecurCore", "_RecurTestSupport"]),
        .testTarget(name: "RecurCLITests", dependencies: ["recur", "recur-fuzz"], exclude: ["Fixtures"]),
        .testTarget(
            name: "RecurTests",
            dependencies: ["Recur", "_RecurTestSupport"],
            resources: [.copy("Fixtures")]
        ),
    ],
    swiftLanguageModes: [.v5]
)
