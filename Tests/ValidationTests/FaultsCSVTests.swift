// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimModel
import ArchSimReport
import XCTest

/// faults.csv: written only for scenarios with faults, its header, its rows (a row per
/// replication and one `all` per fault, in file order), the same whatever the jobs.
final class FaultsCSVTests: XCTestCase {
    static func cluster(faults: String) -> String {
        """
        version: 1
        name: crash
        duration: 100s
        warmup: 0s
        replications: 2
        workload:
          arrivals: {kind: open, rate: 400/s}
          requests:
            req: {weight: 1}
        architecture:
          routes: {req: app.op}
          services:
            app:
              instances: 4
              workers: 4
              health_check: {interval: 5s, unhealthy_after: 2}
              operations:
                op: {cpu: exponential(mean=5ms)}
        \(faults)
        """
    }

    static let twoFaults = """
        faults:
          - {at: 70s, target: "app[1]", kind: crash, for: 10s}
          - {at: 3s, target: "app[2]", kind: slow, factor: 2.5}
        """

    func testHeader() {
        XCTAssertEqual(ResultFiles.faultsHeader.joined(separator: ","),
                       "scenario,replication,fault,target,kind,factor,at_s,end_s,baseline_windows,baseline_p99_ms,"
                       + "baseline_p99_sd_ms,baseline_error_rate,baseline_error_rate_sd,recovered,recovery_s,peak_p99_ms,"
                       + "peak_error_rate,amplification_before,amplification_during,amplification_after")
    }

    /// A scenario without faults writes the four files it always wrote, and no faults.csv.
    func testNoFaultsNoFile() throws {
        let r = try ScenarioText.run(Self.cluster(faults: ""))
        XCTAssertEqual(ResultFiles.files(r).map(\.name), ["summary.csv", "components.csv", "replications.csv", "timeseries.csv"])
    }

    /// Rows per fault in file order: replications, then `all`; the described cells; a crash seen
    /// by the health check recovers, a fault without `for` (or with too short a baseline) does not.
    func testRows() throws {
        let r = try ScenarioText.run(Self.cluster(faults: Self.twoFaults))
        let files = ResultFiles.files(r)
        XCTAssertEqual(files.map(\.name).last, "faults.csv")
        let rows = ResultFiles.faults(r).rows
        XCTAssertEqual(rows.map { $0[0...2].joined(separator: ",") },
                       ["crash,0,0", "crash,1,0", "crash,all,0", "crash,0,1", "crash,1,1", "crash,all,1"])
        let h = ResultFiles.faultsHeader
        func cell(_ row: Int, _ name: String) -> String { rows[row][h.firstIndex(of: name)!] }
        XCTAssertEqual(rows[0][3...7].joined(separator: ","), "app[1],crash,,70,80")
        XCTAssertEqual(rows[3][3...7].joined(separator: ","), "app[2],slow,2.5,3,")
        // The crash: 60 baseline windows; requests fail until the health check (≤ 10 s), then
        // the three other instances serve: recovered within the crash's aftermath.
        for row in 0..<2 {
            XCTAssertEqual(cell(row, "baseline_windows"), "60")
            XCTAssertEqual(cell(row, "recovered"), "1")
            XCTAssertLessThan(Double(cell(row, "recovery_s"))!, 15)
            XCTAssertEqual(cell(row, "amplification_during"), "1")
        }
        XCTAssertEqual(cell(2, "recovered"), "2")
        XCTAssertEqual(cell(2, "baseline_windows"), "60")
        // The slowdown at 3 s: 3 baseline windows (no band), and it never ends.
        for row in 3..<6 {
            XCTAssertEqual(cell(row, "recovered"), "")
            XCTAssertEqual(cell(row, "recovery_s"), "")
            XCTAssertEqual(cell(row, "baseline_p99_ms"), "")
            XCTAssertEqual(cell(row, "amplification_after"), "")
        }
        XCTAssertEqual(cell(3, "baseline_windows"), "3")
    }

    /// The same file whatever the number of threads.
    func testSameWhateverTheJobs() throws {
        let one = try ScenarioText.run(Self.cluster(faults: Self.twoFaults), jobs: 1)
        let two = try ScenarioText.run(Self.cluster(faults: Self.twoFaults), jobs: 2)
        XCTAssertEqual(ResultFiles.faults(one).text, ResultFiles.faults(two).text)
    }
}
