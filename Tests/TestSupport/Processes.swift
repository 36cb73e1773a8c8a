import Foundation

/// The root of this repository (where `Package.swift` is).
public let repositoryRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// The folder of the running test binary, where SwiftPM also puts the `moviemash` executable.
public let buildProductsDirectory: URL = {
    var url = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    while url.pathExtension != "xctest", url.path != "/" { url.deleteLastPathComponent() }
    return url.deletingLastPathComponent()
}()

/// What a finished process printed and how it ended.
public struct ProcessResult: Sendable {
    public var status: Int32
    public var output: String
    public var error: String
}

/// The first of `names` found on PATH.
public func findExecutable(_ names: String...) -> String? {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    for name in names {
        for folder in path.split(separator: ":") where FileManager.default.isExecutableFile(atPath: "\(folder)/\(name)") {
            return "\(folder)/\(name)"
        }
    }
    return nil
}

/// Runs `executable` with `arguments` to completion. It holds no thread while the process runs: tests run
/// in parallel on a pool with one thread per core, and a test blocked on a long child (a Python reference,
/// a fuzzer) would stall every other test's tasks. Output goes through files, so any amount of it is fine.
public func run(_ executable: String, _ arguments: [String]) async throws -> ProcessResult {
    let directory = TemporaryDirectory()
    defer { directory.remove() }
    let outputPath = directory.file("stdout"), errorPath = directory.file("stderr")
    try Data().write(to: URL(fileURLWithPath: outputPath))
    try Data().write(to: URL(fileURLWithPath: errorPath))
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
    process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errorPath))
    let status: Int32 = try await withCheckedThrowingContinuation { continuation in
        process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
        do { try process.run() } catch {
            process.terminationHandler = nil
            continuation.resume(throwing: error)
        }
    }
    return ProcessResult(
        status: status, output: (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "",
        error: (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? "")
}
