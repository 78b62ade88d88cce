// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimBackend
import ArchSimCalibration
import Foundation
import XCTest

/// The load generator on a core of its own, the backend's threads on the others, and the CPU
/// readings that validation.csv reports.
final class IsolationTests: XCTestCase {
    /// `Cpus_allowed_list` of thread `tid`, as the kernel reports it.
    func allowed(_ tid: Int32) throws -> String {
        let status = try String(contentsOfFile: "/proc/self/task/\(tid)/status", encoding: .utf8)
        let line = try XCTUnwrap(status.split(separator: "\n").first { $0.hasPrefix("Cpus_allowed_list:") })
        return line.split(separator: "\t").last.map(String.init) ?? ""
    }

    func testGeneratorAndBackendRunOnSeparateCores() async throws {
        #if !os(Linux)
        throw XCTSkip("thread affinity is Linux-only")
        #else
        guard let isolation = Isolation.plan() else { throw XCTSkip("fewer than two cores available") }
        let all = Threads.allowedCores()
        defer { Isolation.release(to: all) }
        let root = NSTemporaryDirectory() + "archsim-isolation-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: root) }
        let backend = try await Backend.start(BackendConfiguration(host: "127.0.0.1", port: 0, directory: root, replicas: 1,
                                                                   catalogue: .small, cacheCapacity: 50, synchronous: .off))
        let loops = await Isolation.httpLoopThreads()
        XCTAssertFalse(loops.isEmpty)
        var options = LoadGenerator.Options(host: "127.0.0.1", port: backend.port, seed: 5, warmup: 0.3, duration: 1)
        options.isolation = isolation; options.httpLoopThreads = loops
        let run = try await LoadGenerator.open(ShopWorkload(catalogue: .small), rate: 300, options: options)
        let generator = try await LoadGenerator.group.next().submit { Threads.current() }.get()
        // The generator's thread is on its core; every backend thread (HTTP loops, task pool, SQLite queues) on the others.
        XCTAssertEqual(try allowed(generator), String(isolation.generatorCore))
        let backendList = isolation.backendCores.count == 1 ? String(isolation.backendCores[0])
            : "\(isolation.backendCores.first!)-\(isolation.backendCores.last!)"
        for tid in Threads.all() where tid != generator {
            guard let a = try? allowed(tid) else { continue }  // ended meanwhile
            XCTAssertEqual(a, backendList, "thread \(tid)")
        }
        XCTAssertFalse(loops.contains(generator))
        let used = try XCTUnwrap(run.resources)
        XCTAssertTrue(used.pinned)
        XCTAssertEqual(used.backendCoreCount, isolation.backendCores.count)
        // 300 req/s costs both sides some CPU, and neither more than its cores.
        XCTAssertGreaterThan(used.generatorCores, 0); XCTAssertLessThanOrEqual(used.generatorCores, 1.05)
        XCTAssertGreaterThan(used.backendCores, 0); XCTAssertLessThanOrEqual(used.backendCores, Double(isolation.backendCores.count) + 0.05)
        XCTAssertLessThanOrEqual(used.httpLoopCores, used.backendCores + 0.02)
        try await backend.stop()
        #endif
    }

    func testThreadCPUSecondsGrowWithWork() throws {
        #if !os(Linux)
        throw XCTSkip("/proc is Linux-only")
        #else
        let tid = Threads.current()
        let before = try XCTUnwrap(Threads.cpuSeconds(tid))
        let end = monotonicNanoseconds() + 300_000_000
        var x = 0.0
        while monotonicNanoseconds() < end { x += sin(x + 1) }
        let after = try XCTUnwrap(Threads.cpuSeconds(tid))
        XCTAssertGreaterThan(after - before, 0.1, "a 0.3 s busy loop (x = \(x))")
        XCTAssertNil(Threads.cpuSeconds(-1))
        #endif
    }

    func testLinearFitRecoversALine() throws {
        let fit = try XCTUnwrap(LinearFit([(100, 0.13), (200, 0.23), (400, 0.43), (800, 0.83)]))
        XCTAssertEqual(fit.slope, 0.001, accuracy: 1e-12)
        XCTAssertEqual(fit.intercept, 0.03, accuracy: 1e-12)
        XCTAssertEqual(fit.r2, 1, accuracy: 1e-12)
        XCTAssertNil(LinearFit([(1, 1)]))
        XCTAssertNil(LinearFit([(1, 1), (1, 2)]))
    }

    func testCombinedRunsFlagTheNoisiestRun() throws {
        let quiet = RunResources(generatorCores: 0.2, backendCores: 0.6, httpLoopCores: 0.2, otherCores: 0.1, loadAverage1m: 0.3,
                                 pinned: true, backendCoreCount: 1)
        var noisy = quiet; noisy.otherCores = 0.9; noisy.backendCores = 0.8
        let c = try XCTUnwrap(RunResources.combined([quiet, noisy]))
        XCTAssertEqual(c.backendCores, 0.7, accuracy: 1e-12)
        XCTAssertEqual(c.otherCores, 0.9)
        XCTAssertFalse(c.quiet)
        XCTAssertTrue(try XCTUnwrap(RunResources.combined([quiet, quiet])).quiet)
        XCTAssertNil(RunResources.combined([]))
    }
}
