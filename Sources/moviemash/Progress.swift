import Foundation
import Synchronization

/// Progress on standard error, with the rate and the time left at that rate: a bar redrawn in place on a
/// terminal, a line per tenth otherwise (a log file or journald gets ten lines, not thousands).
struct Progress {
    let total: UInt64
    let verb: String
    let noun: String
    let start = ContinuousClock.now
    let terminal = isatty(STDERR_FILENO) == 1
    var lastTenth = -1
    var lastDraw = ContinuousClock.now

    init(total: UInt64, verb: String, noun: String) {
        self.total = total
        self.verb = verb
        self.noun = noun
    }

    mutating func show(_ position: UInt64) {
        let seconds = max((ContinuousClock.now - start) / .seconds(1), 1e-9)
        let rate = Int(Double(position) / seconds)
        let fraction = total == 0 ? 1 : min(1, Double(position) / Double(total))
        let left = Self.timeLeft(done: position, total: total, seconds: seconds)
        if terminal {
            guard ContinuousClock.now - lastDraw > .milliseconds(100) || position == total else { return }
            lastDraw = ContinuousClock.now
            let filled = Int(fraction * 30)
            let bar = String(repeating: "=", count: filled) + String(repeating: " ", count: 30 - filled)
            FileHandle.standardError.write(Data("\r[\(bar)] \(Int(fraction * 100))%  \(position)/\(total) \(noun)  \(rate) \(noun)/s  \(left)   ".utf8))
        } else {
            let tenth = Int(fraction * 10)
            guard tenth > lastTenth else { return }
            lastTenth = tenth
            FileHandle.standardError.write(Data("\(verb) \(position)/\(total) \(noun) (\(Int(fraction * 100))%, \(rate) \(noun)/s, \(left))\n".utf8))
        }
    }

    /// "ETA 1m 05s" at the rate so far; "done" at the end; "ETA ?" before there is a rate.
    static func timeLeft(done: UInt64, total: UInt64, seconds: Double) -> String {
        guard done < total else { return "done" }
        guard done > 0, seconds > 0 else { return "ETA ?" }
        let left = Int((Double(total - done) * seconds / Double(done)).rounded(.up))
        if left >= 3600 { return "ETA \(left / 3600)h \(String(format: "%02d", left % 3600 / 60))m" }
        if left >= 60 { return "ETA \(left / 60)m \(String(format: "%02d", left % 60))s" }
        return "ETA \(left)s"
    }

    func finish() {
        if terminal { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}

/// A `Progress` that callbacks on other tasks may move (a verifier's range loop, a mirror's watcher).
final class SharedProgress: Sendable {
    private let progress: Mutex<Progress?> = Mutex(nil)
    private let verb: String, noun: String

    init(verb: String, noun: String) {
        (self.verb, self.noun) = (verb, noun)
    }

    /// Shows `done` of `total` (the bar starts with the first call).
    func show(_ done: UInt64, of total: UInt64) {
        progress.withLock { progress in
            if progress == nil { progress = Progress(total: total, verb: verb, noun: noun) }
            progress?.show(done)
        }
    }

    func finish() { progress.withLock { $0?.finish() } }
}
