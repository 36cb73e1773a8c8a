import ByteCoding
import Foundation

/// One migration: a file `NNN_name.sql` of `Schemas/sql`, applied in one transaction.
public struct Migration: Sendable, Equatable {
    public let version: Int
    public let name: String
    public let sql: String

    /// Identifies the migration's text, so a changed file is caught after it was applied.
    public var checksum: String { String(format: "%08x", CRC32C.checksum(Array(sql.utf8))) }

    /// The migrations this build ships: the files of `Schemas/sql`, compiled in, in version order.
    public static func bundled() throws(MirrorError) -> [Migration] {
        try validated(embeddedMigrations.map { (name: $0.file, sql: $0.text) })
    }

    /// The migrations in `folder`: every `NNN_name.sql`, versions 1, 2, 3… with no gap or repeat.
    public static func load(from folder: URL) throws(MirrorError) -> [Migration] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".sql") }.sorted()
        } catch {
            throw MirrorError(.migration, "cannot read migrations in \(folder.path): \(error.localizedDescription)")
        }
        var files: [(name: String, sql: String)] = []
        for file in names {
            guard let sql = try? String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8) else {
                throw MirrorError(.migration, "cannot read \(file) as UTF-8")
            }
            files.append((file, sql))
        }
        return try validated(files)
    }

    /// Checks names (`NNN_name.sql`) and versions (1, 2, 3… with no gap or repeat).
    static func validated(_ files: [(name: String, sql: String)]) throws(MirrorError) -> [Migration] {
        var migrations: [Migration] = []
        for (file, sql) in files {
            let stem = file.dropLast(4)
            guard file.hasSuffix(".sql"), stem.count > 4, stem[stem.index(stem.startIndex, offsetBy: 3)] == "_",
                  let version = Int(stem.prefix(3)),
                  stem.dropFirst(4).allSatisfy({ $0.isLowercase || $0.isNumber || $0 == "_" })
            else { throw MirrorError(.migration, "\(file) is not named NNN_name.sql") }
            guard version == migrations.count + 1 else {
                throw MirrorError(.migration, "\(file): expected version \(migrations.count + 1) (versions start at 001, no gaps)")
            }
            migrations.append(Migration(version: version, name: String(stem), sql: sql))
        }
        return migrations
    }
}
