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
public func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) async throws -> ProcessResult {
    let directory = TemporaryDirectory()
    defer { directory.remove() }
    let outputPath = directory.file("stdout"), errorPath = directory.file("stderr")
    try Data().write(to: URL(fileURLWithPath: outputPath))
    try Data().write(to: URL(fileURLWithPath: errorPath))
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let environment { process.environment = environment }
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

/// Runs a command that starts servers of its own (a script that leaves processes running) to completion:
/// spawned as `spawn` does and reaped by polling `waitpid`, holding no thread.
public func runStartingServers(_ executable: String, _ arguments: [String]) async throws -> ProcessResult {
    let directory = TemporaryDirectory()
    defer { directory.remove() }
    let outputPath = directory.file("stdout"), errorPath = directory.file("stderr")
    let pid = try spawn(executable, arguments, output: outputPath, error: errorPath)
    let status = await exitStatus(of: pid) ?? -1
    return ProcessResult(
        status: status,
        output: (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "",
        error: (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? "")
}

/// Starts `executable` with `posix_spawn`, in `directory`, output to files, and nothing else of this
/// process: Foundation's `Process` watches a descriptor its child inherits, so a server the command
/// starts (pg_ctl's, a script's) would hold it open and the command would seem never to end; a server
/// would count the test's open sockets against its own descriptor budget (PostgreSQL refuses to start
/// with too few left); and the test runner's threads block signals, which a shell would inherit and then
/// never see its SIGTERM.
public func spawn(
    _ executable: String, _ arguments: [String], in directory: String = "/", output: String, error: String,
    environment: [String: String]? = nil
) throws -> pid_t {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    if error == output {
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
    } else {
        posix_spawn_file_actions_addopen(&actions, 2, error, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    }
    // glibc has the call since 2.34, but Swift's Glibc module does not import it.
    typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    if let closeFrom = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np") {
        _ = unsafeBitCast(closeFrom, to: CloseFrom.self)(&actions, 3)
    }
    // `sh` changes directory first: the postgres user cannot enter root's working directory.
    let argv = (["/bin/sh", "-c", "cd \"$0\" && exec \"$@\"", directory, executable] + arguments).map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var signals = sigset_t()
    sigemptyset(&signals)
    posix_spawnattr_setsigmask(&attributes, &signals)
    var defaults = sigset_t()
    sigemptyset(&defaults)
    for signal in [SIGTERM, SIGINT, SIGHUP, SIGPIPE] { sigaddset(&defaults, signal) }
    posix_spawnattr_setsigdefault(&attributes, &defaults)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
    let variables = environment.map { $0.map { strdup("\($0.key)=\($0.value)") } + [nil] }
    defer { variables?.forEach { free($0) } }
    var pid = pid_t()
    let spawned = variables.map { posix_spawn(&pid, "/bin/sh", &actions, &attributes, argv, $0) }
        ?? posix_spawn(&pid, "/bin/sh", &actions, &attributes, argv, environ)
    guard spawned == 0 else { throw TestSetupError("cannot start \(executable): errno \(spawned)") }
    return pid
}

/// Polls (never blocking a thread) until the child `pid` exits or `timeout` passes; its exit status (128 +
/// the signal for one killed by a signal), or nil while it still runs.
@discardableResult
public func exitStatus(of pid: pid_t, timeout: Duration = .seconds(86_400)) async -> Int32? {
    let deadline = ContinuousClock.now + timeout
    var status: Int32 = 0
    while ContinuousClock.now < deadline {
        let reaped = waitpid(pid, &status, WNOHANG)
        if reaped == pid { return status & 0x7F == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F) }
        if reaped < 0 && errno != EINTR { return -1 }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return nil
}
