import EventLog
import Foundation
import MovieMashCore
import Testing
import TestSupport

/// The real `moviemash` binary appends with fsync `always` and is killed with SIGKILL mid-stream, again
/// and again: everything it acknowledged must be in the log afterwards, unchanged.
@Suite struct CrashRecoveryTests {
    static var binary: String { buildProductsDirectory.appendingPathComponent("moviemash").path }

    struct Ack: Hashable {
        var position: UInt64
        var record: LogRecord
    }

    /// Starts an appender, reads acknowledgements until `killAfter` have arrived, kills it, and returns every
    /// acknowledgement it printed (including those still in the pipe).
    private func appendThenKill(directory: String, seed: Int, killAfter: Int) throws -> [Ack] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = ["log", "append-sample", directory, "--votes", "10000000", "--concurrency", "16",
                             "--fsync", "always", "--seed", String(seed), "--print-acks"] + (seed == 0 ? ["--catalogue"] : [])
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        var buffer = Data()
        var lines = 0
        while lines < killAfter {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            buffer.append(chunk)
            lines = buffer.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
        }
        kill(process.processIdentifier, SIGKILL)
        buffer.append(output.fileHandleForReading.readDataToEndOfFile())
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal)
        return String(decoding: buffer, as: UTF8.self).split(separator: "\n").map { line in
            let fields = line.split(separator: " ")
            return Ack(position: UInt64(fields[1])!, record: LogRecord(
                id: UUID(uuidString: String(fields[2]))!, timestamp: Int64(fields[3])!,
                payload: Array(Data(base64Encoded: String(fields[4]))!)))
        }
    }

    @Test func everyAcknowledgedAppendSurvivesSIGKILL() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary), "build the moviemash executable first")
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        var random = SplitMix64(seed: 42)
        var acknowledged: [Ack] = []
        for round in 0..<6 {
            let acks = try appendThenKill(directory: directory.path, seed: round, killAfter: Int.random(in: 200...3000, using: &random))
            #expect(!acks.isEmpty)
            acknowledged += acks
            let log = try EventLog(directory: directory.path)
            #expect(log.damage == nil)
            let stored = try log.read(from: 0)
            #expect(stored.map(\.position) == Array(0..<log.endPosition))
            for ack in acknowledged {
                #expect(stored[Int(ack.position)].record == ack.record, "position \(ack.position) after round \(round)")
            }
            #expect(log.endPosition > acknowledged.map(\.position).max()!)
            #expect(Set(acknowledged.map(\.position)).count == acknowledged.count)
        }
        let report = try EventLog.verify(directory: directory.path)
        #expect(report.isHealthy)
    }
}
