import MovieMashCore

/// A deterministic fold of the log: the same events in the same order give the same state, bit for bit.
///
/// No clock, no unseeded randomness: everything a projector knows comes from the events it was given.
/// Its state encodes to bytes in a canonical order, so a state has one hash and snapshots can be compared.
public protocol Projector: Sendable {
    /// The name in snapshots and on the command line (`tallies`, `elo`, …).
    static var name: String { get }
    /// Bumped whenever the state's meaning or encoding changes; snapshots of other versions are rebuilt.
    static var version: UInt32 { get }
    /// Canonical bytes of the configuration; a snapshot made under another configuration is rebuilt.
    var configurationBytes: [UInt8] { get }
    /// How often its service publishes the state while events flow (each publish makes the next event copy
    /// the state whole): 25 ms unless the projector says otherwise.
    static var publishInterval: Duration { get }
    /// Folds one event (in log order) into the state.
    mutating func apply(_ event: EventEnvelope)
    func encodeState(into writer: inout SnapshotWriter)
    /// Replaces the state of this freshly configured projector with one `encodeState` wrote.
    mutating func decodeState(from reader: inout SnapshotReader) throws(SnapshotError)
}

extension Projector {
    public static var publishInterval: Duration { .milliseconds(25) }

    public var stateBytes: [UInt8] {
        var writer = SnapshotWriter()
        encodeState(into: &writer)
        return writer.bytes
    }

    /// A digest of the state's canonical bytes: equal states, equal hashes.
    public var stateHash: UInt64 { StateDigest.of(stateBytes) }

    public var configurationDigest: UInt64 { StateDigest.of(configurationBytes) }

    /// Decodes a whole state, refusing trailing bytes.
    public mutating func restore(from bytes: [UInt8]) throws(SnapshotError) {
        var reader = SnapshotReader(bytes)
        try decodeState(from: &reader)
        guard reader.isAtEnd else { throw SnapshotError("\(Self.name) state has bytes after its end") }
    }
}
