import Foundation
import KeyVault
import MovieMashCore
import Testing
import TestSupport

@Suite struct KeyStoreTests {
    let hash = "$2b$04$" + String(repeating: "a", count: 53)

    @Test func sealedDataOpensForItsUserOnlyAndNeverAfterTheKeyIsDestroyed() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let store = try KeyStore(directory: directory.file("keys"))
        let ada = UUID(), bob = UUID()
        let data = try PersonalData(username: "ada_lovelace", passwordHash: hash)
        let sealed = try store.seal(data, for: ada)
        #expect(!sealed.bytes.contains(subsequence: Array("ada_lovelace".utf8)), "the seal holds no readable name")
        #expect(store.open(sealed, for: ada) == data)
        _ = try store.seal(data, for: bob)
        #expect(store.open(sealed, for: bob) == nil, "a seal copied to another user does not open under their key")
        #expect(try store.seal(data, for: ada) != sealed, "every seal has a fresh nonce")

        // Durable: a store opened afresh reads the same keys.
        let reopened = try KeyStore(directory: directory.file("keys"))
        #expect(reopened.open(sealed, for: ada) == data)
        #expect(Set(reopened.keyHolders) == [ada, bob])

        try store.destroyKey(of: ada)
        #expect(store.open(sealed, for: ada) == nil)
        #expect(!FileManager.default.fileExists(atPath: directory.file("keys/\(ada.uuidString).key")))
        #expect(try KeyStore(directory: directory.file("keys")).open(sealed, for: ada) == nil, "gone after a restart too")
        try store.destroyKey(of: ada)
    }

    /// Destroying overwrites the key's bytes in place before unlinking: a hard link made beforehand (the
    /// same inode, as the freed blocks would be) reads zeros afterwards.
    @Test func destroyingAKeyOverwritesItsBytesBeforeRemovingIt() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let store = try KeyStore(directory: directory.file("keys"))
        let ada = UUID()
        _ = try store.seal(try PersonalData(username: "ada", passwordHash: hash), for: ada)
        let path = directory.file("keys/\(ada.uuidString).key"), witness = directory.file("witness")
        try FileManager.default.linkItem(atPath: path, toPath: witness)
        #expect(try [UInt8](Data(contentsOf: URL(fileURLWithPath: witness))).contains { $0 != 0 })
        try store.destroyKey(of: ada)
        let left = try [UInt8](Data(contentsOf: URL(fileURLWithPath: witness)))
        #expect(left.count == 44 && left.allSatisfy { $0 == 0 }, "the key's bytes were left on disk")
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test func aDamagedKeyIsAnErrorNamingItAndAHalfWrittenOneIsDropped() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let store = try KeyStore(directory: directory.file("keys"))
        let ada = UUID()
        _ = try store.seal(try PersonalData(username: "ada", passwordHash: hash), for: ada)
        let path = directory.file("keys/\(ada.uuidString).key")
        FileManager.default.createFile(atPath: directory.file("keys/\(UUID().uuidString).key.tmp"), contents: Data([1, 2, 3]))
        #expect(try KeyStore(directory: directory.file("keys")).keyHolders == [ada])
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.file("keys")) == ["\(ada.uuidString).key"])

        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        bytes[12] ^= 0xFF
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        #expect {
            _ = try KeyStore(directory: directory.file("keys"))
        } throws: { error in
            "\(error)".contains(path) && "\(error)".contains("damaged")
        }
    }
}

extension Array where Element == UInt8 {
    func contains(subsequence: [UInt8]) -> Bool {
        guard subsequence.count <= count else { return false }
        return (0...(count - subsequence.count)).contains { self[$0..<($0 + subsequence.count)].elementsEqual(subsequence) }
    }
}
