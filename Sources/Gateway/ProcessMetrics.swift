import Foundation
import Prometheus
#if canImport(Glibc)
import Glibc
#endif

/// The process' own series under the names every Prometheus client library uses (`process_*`), read
/// from `/proc` at scrape time; nil where there is no `/proc`. swift-prometheus has no process collector.
struct ProcessMetrics {
    var cpuSeconds: Double
    var residentBytes: Double
    var virtualBytes: Double
    var openDescriptors: Double
    var maximumDescriptors: Double
    var startTime: Double

    static func read() -> ProcessMetrics? {
        #if os(Linux)
        guard let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")"),
              let boot = (try? String(contentsOfFile: "/proc/stat", encoding: .utf8))?
                .split(separator: "\n").first(where: { $0.hasPrefix("btime ") })
                .flatMap({ Double($0.dropFirst(6).trimmingCharacters(in: .whitespaces)) })
        else { return nil }
        // The fields after the command's closing parenthesis, from the third (state) on.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK))), page = Double(sysconf(Int32(_SC_PAGESIZE)))
        func field(_ number: Int) -> Double { Double(fields[number - 3]) ?? 0 }
        guard fields.count > 21 else { return nil }
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        let descriptors = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? 0
        return ProcessMetrics(
            cpuSeconds: (field(14) + field(15)) / ticks, residentBytes: field(24) * page, virtualBytes: field(23),
            openDescriptors: Double(descriptors), maximumDescriptors: Double(limit.rlim_cur), startTime: boot + field(22) / ticks)
        #else
        return nil
        #endif
    }

    /// Sets the gauges; `advance` brings the CPU counter to its value now.
    func record(in registry: PrometheusCollectorRegistry, advance: (Counter, String, Double) -> Void) {
        let cpu = registry.makeCounter(name: "process_cpu_seconds_total", labels: [], help: "User and system CPU time spent, in seconds")
        advance(cpu, "process_cpu_seconds", cpuSeconds)
        registry.makeGauge(name: "process_resident_memory_bytes", labels: [], help: "Resident memory size in bytes").set(residentBytes)
        registry.makeGauge(name: "process_virtual_memory_bytes", labels: [], help: "Virtual memory size in bytes").set(virtualBytes)
        registry.makeGauge(name: "process_open_fds", labels: [], help: "Open file descriptors").set(openDescriptors)
        registry.makeGauge(name: "process_max_fds", labels: [], help: "The most file descriptors the process may open").set(maximumDescriptors)
        registry.makeGauge(name: "process_start_time_seconds", labels: [], help: "Start time of the process since the Unix epoch, in seconds")
            .set(startTime)
    }
}
