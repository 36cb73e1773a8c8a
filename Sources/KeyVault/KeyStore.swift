import ByteCoding
import Crypto
import Foundation
import MovieMashCore
import Synchronization

/// The per-user keys of personal data, in a directory of their own outside the log: one file per user
/// (`UUID.key`: magic `MMKEY001`, the 32-byte AES-256 key, a CRC32C of both), written as a `DurableFile`
/// before any event sealed under it is appended, and overwritten and removed durably on erasure. Every key is read into
/// memory when the store opens; the directory is small (about 44 bytes a user) and is backed up on its
/// own schedule, never with the log: a backup of it holds the keys of users erased since, until it expires.
public final class KeyStore: PersonalDataVault {
    public let directory: String
    private let keys: Mutex<[UserID: SymmetricKey]>
    static let magic = Array("MMKEY001".utf8)

    /// Opens (creating if missing) the store in `directory`; a damaged key file is an error naming it,
    /// since sealed fields under it could never be read again.
    public init(directory: String) throws(KeyStoreError) {
        self.directory = directory
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw KeyStoreError("cannot create the key store \(directory): \(error.localizedDescription)")
        }
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: directory) } catch {
            throw KeyStoreError("cannot list the key store \(directory): \(error.localizedDescription)")
        }
        var loaded: [UserID: SymmetricKey] = [:]
        for name in names {
            let path = (directory as NSString).appendingPathComponent(name)
            if name.hasSuffix(".key.tmp") {
                // A key being written when the process stopped: nothing was sealed under it yet.
                try? DurableFile.remove(path)
                continue
            }
            guard name.hasSuffix(".key"), let user = UUID(uuidString: String(name.dropLast(4))) else { continue }
            loaded[user] = try Self.key(at: path)
        }
        keys = Mutex(loaded)
    }

    private func path(of user: UserID) -> String { (directory as NSString).appendingPathComponent("\(user.uuidString).key") }

    /// The key in the file at `path`; nil when there is none.
    private static func key(at path: String) throws(KeyStoreError) -> SymmetricKey? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        guard data.count == Self.magic.count + 32 + 4 else {
            throw KeyStoreError("\(path) is not a MovieMash key (wrong size)")
        }
        let bytes = [UInt8](data)
        let body = Array(bytes.prefix(Self.magic.count + 32))
        let stored = bytes.suffix(4).reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        guard Array(body.prefix(Self.magic.count)) == Self.magic, CRC32C.checksum(body) == stored else {
            throw KeyStoreError("\(path) is damaged (magic or checksum)")
        }
        return SymmetricKey(data: body.suffix(32))
    }

    /// The user's key: in memory, or else in its file, which another writer sharing this directory (a
    /// standby writer's predecessor) may have written since this store opened.
    private func known(_ user: UserID, in keys: inout [UserID: SymmetricKey]) throws(KeyStoreError) -> SymmetricKey? {
        if let key = keys[user] { return key }
        let key = try Self.key(at: path(of: user))
        keys[user] = key
        return key
    }

    public func seal(bytes plaintext: [UInt8], for user: UserID) throws -> SealedPersonalData {
        let key = try keys.withLock { keys throws(KeyStoreError) -> SymmetricKey in
            if let key = try known(user, in: &keys) { return key }
            let key = SymmetricKey(size: .bits256)
            var bytes = Self.magic + key.withUnsafeBytes { Array($0) }
            let crc = CRC32C.checksum(bytes)
            withUnsafeBytes(of: crc.littleEndian) { bytes.append(contentsOf: $0) }
            do { try DurableFile.replace(path(of: user), with: bytes, mode: 0o600) } catch {
                throw KeyStoreError("cannot store the key of \(user): \(error)")
            }
            keys[user] = key
            return key
        }
        let box = try AES.GCM.seal(plaintext, using: key, authenticating: Self.associatedData(user))
        return try SealedPersonalData(Array(box.combined!))
    }

    public func openBytes(_ sealed: SealedPersonalData, for user: UserID) -> [UInt8]? {
        guard let key = keys.withLock({ try? known(user, in: &$0) }) ?? nil,
              let box = try? AES.GCM.SealedBox(combined: sealed.bytes),
              let plaintext = try? AES.GCM.open(box, using: key, authenticating: Self.associatedData(user))
        else { return nil }
        return [UInt8](plaintext)
    }

    public func destroyKey(of user: UserID) throws {
        try keys.withLock { keys throws(KeyStoreError) in
            do { try DurableFile.shred(path(of: user)) } catch {
                throw KeyStoreError("cannot destroy the key of \(user): \(error)")
            }
            keys[user] = nil
        }
    }

    public var keyHolders: [UserID] { keys.withLock { Array($0.keys) } }

    /// The user's id binds a seal to its user: a seal copied into another user's event does not open.
    private static func associatedData(_ user: UserID) -> [UInt8] {
        withUnsafeBytes(of: user.uuid) { Array("moviemash-personal-v1".utf8) + Array($0) }
    }
}

/// Why the key store cannot be used.
public struct KeyStoreError: Error, CustomStringConvertible {
    public var description: String

    public init(_ description: String) {
        self.description = description
    }
}
