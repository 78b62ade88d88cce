// SPDX-License-Identifier: GPL-3.0-or-later
import Foundation
import XCTest

/// Every fragment of the format, joined into one scenario, runs and means what the text says.
final class SpecFragmentTests: XCTestCase {
    func testAllFragmentsRunTogether() throws {
        let file = CLI.repository.appendingPathComponent("Tests/CLITests/Fixtures/spec-fragments.yaml").path
        let dir = try CLI.temporaryDirectory()
        let out = try CLI.run(["run", file, "--out", dir.path, "--quiet"])
        XCTAssertEqual(out.status, 0, out.stderr)
        let components = try CLI.readCSV(dir.appendingPathComponent("components.csv"))
        let names = components.map { $0["component"]! }
        XCTAssertEqual(names, ["app", "payment", "user", "product", "product_cache", "product_cache[0]", "product_cache[1]",
                               "product_cache[2]", "main.primary", "main.replica[0]", "main.replica[1]", "main.replica[2]"])
        XCTAssertEqual(components.map { $0["kind"]! }, ["service", "service", "service", "service", "cache", "cache", "cache",
                                                        "cache", "db_primary", "db_replica", "db_replica", "db_replica"])
        // One worker at 900/s of 1 ms views and slower orders: the app saturates, views time out at 2 s.
        let summary = try CLI.readCSV(dir.appendingPathComponent("summary.csv"))
        let view = summary.first { $0["request_type"] == "view_product" }!
        XCTAssertGreaterThan(Double(view["timeouts"]!)!, 0)
        let cache = components.first { $0["component"] == "product_cache" }!
        XCTAssertNotEqual(cache["hit_ratio"], "")
        let replica = components.first { $0["component"] == "main.replica[0]" }!
        XCTAssertNotEqual(replica["replication_lag_p99_ms"], "")
    }

    /// The version 1.1 fragments joined into one scenario: it runs, names shard servers as the
    /// spec says, and fills each mechanism's columns.
    func testVersion11FragmentsRunTogether() throws {
        let file = CLI.repository.appendingPathComponent("Tests/CLITests/Fixtures/spec-v11.yaml").path
        let dir = try CLI.temporaryDirectory()
        let out = try CLI.run(["run", file, "--out", dir.path, "--quiet"])
        XCTAssertEqual(out.status, 0, out.stderr)
        let components = try CLI.readCSV(dir.appendingPathComponent("components.csv"))
        func row(_ name: String) -> [String: String] { components.first { $0["component"] == name }! }
        XCTAssertEqual(components.map { $0["component"]! }, ["app", "product_cache", "product_cache[0]", "product_cache[1]",
                                                             "product_cache[2]", "main[0].primary", "main[1].primary",
                                                             "main[2].primary", "main[3].primary", "users.primary",
                                                             "orders.primary", "box"])
        XCTAssertNotEqual(row("main[0].primary")["hit_ratio"], "", "buffer pool")
        XCTAssertNotEqual(row("main[0].primary")["rejected"], "", "max_connections")
        XCTAssertNotEqual(row("main[0].primary")["lock_wait_ms"], "", "row locks")
        XCTAssertNotEqual(row("main[0].primary")["commit_ms"], "", "group commit")
        XCTAssertNotEqual(row("orders.primary")["flush_batch"], "")
        XCTAssertNotEqual(row("app")["pool_wait_ms"], "", "client pool")
        XCTAssertNotEqual(row("product_cache[0]")["utilization"], "", "cache node workers")
        XCTAssertEqual(row("box")["kind"], "host")
        XCTAssertNotEqual(row("box")["cpu_utilization"], "", "hosts")
        XCTAssertNotEqual(row("app")["cpu_utilization"], "", "a service on a host")
        let timeseries = try CLI.readCSV(dir.appendingPathComponent("timeseries.csv"))
        XCTAssertGreaterThan(timeseries.compactMap { Int($0["retries"]!) }.reduce(0, +), 0, "retry_failed during the crash")
    }
}
