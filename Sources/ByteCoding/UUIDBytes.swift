import Foundation

extension UUID {
    /// The UUID whose 16 bytes (RFC 4122 order, as `uuid` holds them) start at `offset` of `bytes`.
    ///
    /// Foundation's `init(uuid:)` takes a tuple of sixteen separate bytes through a call it does not
    /// inline, which was a visible part of replaying votes (four ids each); two 8-byte loads reinterpreted
    /// as the UUID's own storage (`uuid_t`, sixteen bytes in memory order) give the same value in place.
    @inlinable
    public init(loadingFrom bytes: UnsafeRawBufferPointer, at offset: Int = 0) {
        precondition(offset >= 0 && bytes.count - offset >= 16, "a UUID needs 16 bytes")
        let words = (
            bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self),
            bytes.loadUnaligned(fromByteOffset: offset + 8, as: UInt64.self))
        self = unsafeBitCast(words, to: UUID.self)
    }
}
