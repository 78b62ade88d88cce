// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimBackend
import CLinuxThreads
import Foundation
import NIOCore
import NIOPosix

/// Keeping the load generator off the backend's cores, and measuring who used the CPU.
///
/// The generator runs on one event-loop thread of its own (``LoadGenerator/group``). Before a
/// measured run, ``pin(generator:)`` puts that thread on one core and every other thread of the
/// process — the backend's HTTP event loops, the task pool, SQLite's dispatch queues, the
/// replication tasks — on the remaining cores. Threads created later inherit their creator's
/// affinity, so they stay on the backend's side. Linux only; elsewhere nothing is pinned.
public struct Isolation: Sendable, Equatable {
    /// The core of the generator's thread.
    public var generatorCore: Int
    /// The cores of everything else.
    public var backendCores: [Int]

    /// One core for the generator (the first this process may use), the rest for the backend;
    /// nil when the process may use fewer than two cores (or affinity is not available).
    public static func plan() -> Isolation? {
        let cores = Threads.allowedCores()
        guard cores.count >= 2 else { return nil }
        return Isolation(generatorCore: cores[0], backendCores: Array(cores.dropFirst()))
    }

    /// Pins `generator` to ``generatorCore`` and every other thread of the process to
    /// ``backendCores``. Returns the number of threads that could not be pinned (threads that
    /// ended meanwhile are not counted).
    @discardableResult
    public func pin(generator: Int32) -> Int {
        var failed = 0
        for tid in Threads.all() {
            let ok = Threads.pin(tid, to: tid == generator ? [generatorCore] : backendCores)
            if !ok && Threads.exists(tid) { failed += 1 }
        }
        return failed
    }

    /// Lets every thread of the process run on `cores` again (after the measurements, before
    /// the simulation).
    public static func release(to cores: [Int]) {
        for tid in Threads.all() { _ = Threads.pin(tid, to: cores) }
    }
}

/// Linux threads of this process, read from `/proc/self/task`.
public enum Threads {
    /// The kernel thread id of the calling thread.
    public static func current() -> Int32 {
        Int32(archsim_gettid())
    }

    public static func all() -> [Int32] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        return names.compactMap { Int32($0) }.sorted()
    }

    static func exists(_ tid: Int32) -> Bool { FileManager.default.fileExists(atPath: "/proc/self/task/\(tid)") }

    /// The cores the calling thread may run on, ascending.
    public static func allowedCores() -> [Int] {
        var cores = [Int32](repeating: 0, count: 1024)
        let n = archsim_getaffinity(&cores, Int32(cores.count))
        return n <= 0 ? [] : cores[0..<Int(n)].map { Int($0) }
    }

    /// Restricts thread `tid` to `cores`; false if the kernel refused.
    public static func pin(_ tid: Int32, to cores: [Int]) -> Bool {
        let list = cores.map { Int32($0) }
        return archsim_setaffinity(tid, list, Int32(list.count)) == 0
    }

    /// User + system CPU seconds thread `tid` has used (from `/proc/self/task/TID/stat`, in
    /// clock ticks); nil when the thread has ended.
    public static func cpuSeconds(_ tid: Int32) -> Double? {
        cpuSeconds(statFile: "/proc/self/task/\(tid)/stat")
    }

    /// User + system CPU seconds from a `/proc/…/stat` file (a process's: all its threads); nil
    /// when it is gone.
    public static func cpuSeconds(statFile path: String) -> Double? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return nil }
        // Fields after the command name (which may hold spaces): state is field 3; utime, stime are 14, 15.
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / ticksPerSecond
    }

    static let ticksPerSecond: Double = {
        let t = sysconf(Int32(_SC_CLK_TCK))
        return t > 0 ? Double(t) : 100
    }()
}

/// What the machine did during a measured window: the CPU of the generator, of the backend (the
/// rest of this process) and of its HTTP event loops, the CPU used by everything outside this
/// process, and the 1-minute load average when the window began.
public struct RunResources: Sendable, Codable, Equatable {
    /// Cores used on average (CPU seconds per second of the window).
    public var generatorCores: Double
    public var backendCores: Double
    public var httpLoopCores: Double
    /// Busy cores of the whole machine (steal included) minus this process's.
    public var otherCores: Double
    public var loadAverage1m: Double
    /// Whether the generator and the backend ran on separate cores.
    public var pinned: Bool
    /// The backend's cores (those it was pinned to, or all this process may use).
    public var backendCoreCount: Int
    enum CodingKeys: String, CodingKey {
        case generatorCores = "generator_cores", backendCores = "backend_cores", httpLoopCores = "http_loop_cores"
        case otherCores = "other_cores", loadAverage1m = "load_avg_1m", pinned, backendCoreCount = "backend_core_count"
    }

    public init(generatorCores: Double, backendCores: Double, httpLoopCores: Double, otherCores: Double, loadAverage1m: Double,
                pinned: Bool, backendCoreCount: Int) {
        self.generatorCores = generatorCores; self.backendCores = backendCores; self.httpLoopCores = httpLoopCores
        self.otherCores = otherCores; self.loadAverage1m = loadAverage1m; self.pinned = pinned; self.backendCoreCount = backendCoreCount
    }

    /// At most half a core of other work during the window.
    public var quiet: Bool { otherCores <= RunResources.quietLimit }
    public static let quietLimit = 0.5

    /// Several runs as one: mean CPU figures, the highest load average and other-work figure
    /// (so one noisy run marks the whole level), pinned only if every run was.
    public static func combined(_ runs: [RunResources]) -> RunResources? {
        guard let first = runs.first else { return nil }
        func mean(_ f: (RunResources) -> Double) -> Double { runs.reduce(0) { $0 + f($1) } / Double(runs.count) }
        return RunResources(generatorCores: mean(\.generatorCores), backendCores: mean(\.backendCores),
                            httpLoopCores: mean(\.httpLoopCores), otherCores: runs.map(\.otherCores).max()!,
                            loadAverage1m: runs.map(\.loadAverage1m).max()!, pinned: runs.allSatisfy(\.pinned),
                            backendCoreCount: first.backendCoreCount)
    }
}

/// Takes CPU readings at the start and end of a window; all readings on the generator's thread.
struct ResourceMeter {
    struct Reading {
        var wall: Int64
        var process: Double
        var generator: Double
        var httpLoops: Double
        var machineBusy: Double
        var loadAverage1m: Double
    }

    let generator: Int32
    let httpLoops: [Int32]

    func read() -> Reading {
        Reading(wall: monotonicNanoseconds(), process: Calibration.processCPUSeconds(),
                generator: Threads.cpuSeconds(generator) ?? 0,
                httpLoops: httpLoops.reduce(0) { $0 + (Threads.cpuSeconds($1) ?? 0) },
                machineBusy: Machine.busySeconds(), loadAverage1m: Machine.loadAverage1m())
    }

    static func resources(from a: Reading, to b: Reading, pinned: Bool, backendCoreCount: Int) -> RunResources {
        let seconds = max(1e-9, Double(b.wall - a.wall) / 1e9)
        let process = b.process - a.process, generator = b.generator - a.generator
        return RunResources(generatorCores: generator / seconds, backendCores: max(0, process - generator) / seconds,
                            httpLoopCores: (b.httpLoops - a.httpLoops) / seconds,
                            otherCores: max(0, (b.machineBusy - a.machineBusy) - process) / seconds,
                            loadAverage1m: a.loadAverage1m, pinned: pinned, backendCoreCount: backendCoreCount)
    }
}

/// The machine as a whole, from `/proc`.
public enum Machine {
    /// 1-minute load average (0 when unknown).
    public static func loadAverage1m() -> Double {
        guard let text = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8) else { return 0 }
        return Double(text.split(separator: " ").first ?? "") ?? 0
    }

    /// CPU seconds all cores have been busy since boot (user, nice, system, irq, softirq, steal).
    static func busySeconds() -> Double {
        guard let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("cpu ") }) else { return 0 }
        let v = line.split(separator: " ").dropFirst().compactMap { Double($0) }
        guard v.count >= 8 else { return 0 }
        // user nice system idle iowait irq softirq steal
        return (v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / Threads.ticksPerSecond
    }
}

extension Isolation {
    /// The kernel thread ids of the backend's HTTP event loops (Hummingbird serves on NIO's
    /// singleton group; the generator has a group of its own).
    public static func httpLoopThreads() async -> [Int32] {
        var tids: [Int32] = []
        for loop in MultiThreadedEventLoopGroup.singleton.makeIterator() {
            if let tid = try? await loop.submit({ Threads.current() }).get() { tids.append(tid) }
        }
        return tids
    }
}
