import Foundation
import Logging
import PostgresMirror
import PostgresNIO
#if canImport(Glibc)
import Glibc
#endif

/// Access to the throwaway PostgreSQL that `Scripts/test` starts (never a mock).
public enum PostgresTesting {
    public static let logger = Logger(label: "moviemash.tests")

    /// The administrator URL `Scripts/test` exports; a clear error when run without it.
    public static func adminURL() throws -> PostgresURL {
        try PostgresURL(TestEnvironment.value(of: "MOVIEMASH_TEST_POSTGRES_URL", for: "the PostgreSQL that Scripts/test starts"))
    }

    /// Runs `body` on a new connection to `url`, closing it afterwards.
    public static func withConnection<T>(
        _ url: PostgresURL, _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        let connection = try await PostgresConnection.connect(configuration: url.configuration, id: 1, logger: logger)
        do {
            let value = try await body(connection)
            try? await connection.close()
            return value
        } catch {
            try? await connection.close()
            throw error
        }
    }

    /// The first column of every row of `sql`, as strings (NULL as nil).
    public static func strings(_ sql: String, on connection: PostgresConnection) async throws -> [String?] {
        var values: [String?] = []
        for try await value in try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger).decode(String?.self) {
            values.append(value)
        }
        return values
    }

    /// A fresh, empty database on the test server; `drop()` removes it.
    public static func createDatabase(on server: PostgresURL? = nil) async throws -> TestDatabase {
        let admin = try server ?? adminURL()
        let name = "mm_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        _ = try await withConnection(admin) { try await $0.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: logger) }
        return TestDatabase(admin: admin, name: name)
    }
}

/// A database created for one test.
public struct TestDatabase: Sendable {
    public let admin: PostgresURL
    public let name: String

    /// The URL of this database with the administrator's credentials, as text.
    public var urlText: String {
        let configuration = admin.configuration
        let password = configuration.password.map { ":\($0)" } ?? ""
        return "postgres://\(configuration.username)\(password)@\(configuration.host!):\(configuration.port!)/\(name)"
    }

    public var url: PostgresURL { try! PostgresURL(urlText) }

    public func drop() async {
        _ = try? await PostgresTesting.withConnection(admin) {
            try await $0.query(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)"), logger: PostgresTesting.logger)
        }
    }
}

/// A private PostgreSQL 15 cluster for a test that stops and starts its server.
public final class TestCluster: Sendable {
    public let directory: String
    public let port: Int
    private let binaries: String

    /// Creates and starts a cluster on a free loopback port (trust authentication, fsync off).
    public init() throws {
        binaries = try TestEnvironment.value(of: "MOVIEMASH_TEST_PG_BIN", for: "PostgreSQL's binaries")
        directory = "/tmp/moviemash-cluster-\(UUID().uuidString)"
        port = try freePort()
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try runChecked("/bin/chown", ["postgres:postgres", directory])
        try asPostgres("initdb", ["-D", directory + "/data", "-U", "postgres", "-A", "trust", "--no-sync"])
        try start()
    }

    /// A hot standby of `primary`, made with `pg_basebackup -R` and streaming from it, started.
    public init(standbyOf primary: TestCluster) throws {
        binaries = primary.binaries
        directory = "/tmp/moviemash-cluster-\(UUID().uuidString)"
        port = try freePort()
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try runChecked("/bin/chown", ["postgres:postgres", directory])
        try asPostgres("pg_basebackup", ["-D", directory + "/data", "-h", "127.0.0.1", "-p", "\(primary.port)", "-U", "postgres", "-R", "-X", "stream", "-c", "fast"])
        try start()
    }

    public var url: PostgresURL { try! PostgresURL("postgres://postgres@127.0.0.1:\(port)/postgres") }

    /// The URL of `database` on this cluster as `user`.
    public func url(database: String, user: String = "postgres") -> PostgresURL {
        try! PostgresURL("postgres://\(user)@127.0.0.1:\(port)/\(database)")
    }

    public func start() throws {
        try asPostgres("pg_ctl", ["-D", directory + "/data", "-l", directory + "/server.log", "-w", "start",
                                   "-o", "-c listen_addresses=127.0.0.1 -p \(port) -k \(directory) -c fsync=off"])
    }

    /// Stops the server the way a crash would (`pg_ctl stop -m immediate`).
    public func stopImmediately() throws {
        try asPostgres("pg_ctl", ["-D", directory + "/data", "-m", "immediate", "-w", "stop"])
    }

    public func remove() {
        try? asPostgres("pg_ctl", ["-D", directory + "/data", "-m", "immediate", "-w", "stop"])
        try? FileManager.default.removeItem(atPath: directory)
    }

    private func asPostgres(_ tool: String, _ arguments: [String]) throws {
        try runChecked("/usr/sbin/runuser", ["-u", "postgres", "--", "\(binaries)/\(tool)"] + arguments)
    }
}

/// A test could not set up what it needs.
public struct TestSetupError: Error, CustomStringConvertible {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}

/// Runs a command to completion and throws with its output if it fails (see `spawn`).
public func runChecked(_ executable: String, _ arguments: [String], in directory: String = "/") throws {
    let outputPath = FileManager.default.temporaryDirectory.appendingPathComponent("run-\(UUID().uuidString).out").path
    defer { try? FileManager.default.removeItem(atPath: outputPath) }
    let pid = try spawn(executable, arguments, in: directory, output: outputPath, error: outputPath)
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    guard status & 0x7F == 0, (status >> 8) & 0xFF == 0 else {
        let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        throw TestSetupError("\(executable) \(arguments.joined(separator: " ")) failed (status \(status)): \(text)")
    }
}

/// A TCP port on 127.0.0.1 that nothing listens on right now.
public func freePort() throws -> Int {
    let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(socket) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw -> Bool in
            bind(socket, raw, length) == 0 && getsockname(socket, raw, &length) == 0
        }
    }
    guard bound else { throw TestSetupError("no free port: errno \(errno)") }
    return Int(UInt16(bigEndian: address.sin_port))
}


