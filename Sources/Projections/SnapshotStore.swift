import ByteCoding
import Foundation
import MovieMashCore

/// Projector snapshots in a directory, one file per projector (`NAME.snapshot`).
///
/// A file holds: magic `MMSNAP01`, the projector's name, version and configuration digest, the log
/// position the state covers, the id of the event just before it, the state's hash, the state's bytes,
/// and a CRC32C of all that. It is replaced as a `DurableFile`, so a crash leaves the old snapshot or the
/// new one, never half of one.
///
/// Running cells write one every `every` events or as many as the last one covered, whichever is more, or
/// once `age` has passed since the last with any event since (so a node that takes few events still resumes
/// near its end after a crash), and at shutdown (`isDue`).
public struct SnapshotStore: Sendable {
    public let directory: String
    public let every: UInt64
    public let age: Duration
    static let magic = Array("MMSNAP01".utf8)

    public init(directory: String, every: UInt64 = 100_000, age: Duration = .seconds(60)) {
        self.directory = directory
        self.every = max(1, every)
        self.age = age
    }

    /// Whether a snapshot covering `position` is due, the last having covered `last`, written at `lastAt`.
    /// A snapshot costs as much as the state is large, which grows with the log: written every `every`
    /// events, a node catching up on a long log spent much of its CPU on them. Spaced by at least the
    /// position already covered, they cost in all about twice the final state's, and a crash costs at most
    /// as much replay as the node had done; the age rule still bounds it at the live end.
    public func isDue(position: UInt64, last: UInt64, lastAt: ContinuousClock.Instant, now: ContinuousClock.Instant) -> Bool {
        position > last && (position - last >= max(every, last) || now - lastAt >= age)
    }

    /// What a snapshot file says about itself.
    public struct Header: Sendable, Equatable {
        public var name: String
        public var version: UInt32
        public var configurationDigest: UInt64
        public var position: UInt64
        /// The id of the event at `position - 1`, so a snapshot of another log is recognised.
        public var lastEventID: UUID
        public var stateHash: UInt64
    }

    public func path(of name: String) -> String { (directory as NSString).appendingPathComponent("\(name).snapshot") }

    /// Writes `projector`'s state as of `position` durably.
    public func write<P: Projector>(_ projector: P, position: UInt64, lastEventID: UUID) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let state = projector.stateBytes
        var writer = SnapshotWriter()
        writer.write(P.name)
        writer.write(P.version)
        writer.write(projector.configurationDigest)
        writer.write(position)
        writer.write(lastEventID)
        writer.write(StateDigest.of(state))
        writer.write(count: state.count)
        var bytes = Self.magic + writer.bytes + state
        let crc = CRC32C.checksum(bytes)
        withUnsafeBytes(of: crc.littleEndian) { bytes.append(contentsOf: $0) }
        do {
            try DurableFile.replace(path(of: P.name), with: bytes)
        } catch {
            throw SnapshotError(error.description)
        }
    }

    /// The header and state bytes of `name`'s snapshot; nil when there is none; an error when it is damaged.
    public func read(_ name: String) throws(SnapshotError) -> (header: Header, state: [UInt8])? {
        guard let data = FileManager.default.contents(atPath: path(of: name)) else { return nil }
        let bytes = [UInt8](data)
        guard bytes.count > Self.magic.count + 4, Array(bytes.prefix(Self.magic.count)) == Self.magic else {
            throw SnapshotError("\(path(of: name)) is not a MovieMash snapshot")
        }
        let body = bytes.dropLast(4)
        let stored = bytes.suffix(4).reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        guard CRC32C.checksum(Array(body)) == stored else { throw SnapshotError("\(path(of: name)) fails its checksum") }
        var reader = SnapshotReader(Array(body.dropFirst(Self.magic.count)))
        let header = Header(
            name: try reader.string(), version: try reader.uint32(), configurationDigest: try reader.uint64(),
            position: try reader.uint64(), lastEventID: try reader.uuid(), stateHash: try reader.uint64())
        let state = try reader.bytes(count: try reader.count())
        guard reader.isAtEnd, StateDigest.of(state) == header.stateHash else {
            throw SnapshotError("\(path(of: name)) does not hold the state its header describes")
        }
        return (header, state)
    }

    /// Loads `name`'s snapshot into `projector` when it was made by this projector version and configuration
    /// from a prefix of `source`'s events; returns the position to replay from (0 when nothing usable) and,
    /// if a snapshot was ignored, why.
    public func load<P: Projector>(into projector: inout P, source: any EventSource) async -> (position: UInt64, ignored: String?) {
        let fresh = projector
        do {
            guard let (header, state) = try read(P.name) else { return (0, nil) }
            guard header.version == P.version else {
                return (0, "made by \(P.name) version \(header.version), this is version \(P.version)")
            }
            guard header.configurationDigest == projector.configurationDigest else {
                return (0, "made under another configuration")
            }
            let end = try await source.endPosition()
            guard header.position <= end else { return (0, "it covers more events than this log holds") }
            if header.position > 0, try await source.eventID(at: header.position - 1) != header.lastEventID {
                return (0, "it was made from another log")
            }
            try projector.restore(from: state)
            return (header.position, nil)
        } catch {
            projector = fresh
            return (0, "\(error)")
        }
    }
}
