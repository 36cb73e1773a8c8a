import ArgumentParser
import Foundation
import PostgresMirror

/// Where a command's PostgreSQL URL comes from, so its password need not be on the command line (where
/// `ps` and shell history show it): the flag, else a file (`--postgres-file`, mode 0600, say), else
/// `MOVIEMASH_POSTGRES`, the variable `serve` reads for the same setting.
struct PostgresOptions: ParsableArguments {
    @Option(help: "postgres://user[:password]@host[:port]/database[?sslmode=disable|prefer|require] (a password here shows in the process list: prefer --postgres-file or $MOVIEMASH_POSTGRES)")
    var postgres: String?
    @Option(help: "A file whose first line is the postgres URL.") var postgresFile: String?

    func url() throws -> PostgresURL { try Self.resolve(postgres, file: postgresFile, flag: "--postgres") }

    /// The URL of `value`, else of the first line of `file`, else of `MOVIEMASH_POSTGRES`.
    static func resolve(_ value: String?, file: String?, flag: String) throws -> PostgresURL {
        let text: String
        if let value {
            text = value
        } else if let file {
            guard let contents = try? String(contentsOfFile: file, encoding: .utf8) else { throw ValidationError("cannot read \(file) (\(flag)-file)") }
            text = contents.split(whereSeparator: \.isNewline).first.map(String.init)?.trimmingCharacters(in: .whitespaces) ?? ""
        } else if let variable = ProcessInfo.processInfo.environment["MOVIEMASH_POSTGRES"] {
            text = variable
        } else {
            throw ValidationError("give \(flag) URL, \(flag)-file FILE or MOVIEMASH_POSTGRES")
        }
        do { return try PostgresURL(text) } catch { throw ValidationError("\(error)") }
    }
}
