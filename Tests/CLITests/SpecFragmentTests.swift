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
}
