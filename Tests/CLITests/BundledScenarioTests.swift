// SPDX-License-Identifier: GPL-3.0-or-later
import Foundation
import XCTest

/// Every bundled scenario passes `archsim check`.
final class BundledScenarioTests: XCTestCase {
    func testAllBundledScenariosCheck() throws {
        let root = CLI.repository.appendingPathComponent("scenarios")
        var files: [String] = []
        let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil)!
        for case let url as URL in walker where url.pathExtension == "yaml" {
            // Workload and architecture files are parts, checked through the scenarios that use them;
            // sweep files are checked by `archsim sweep --list`.
            let rel = url.path.replacingOccurrences(of: root.path + "/", with: "")
            if rel.hasPrefix("workloads/") || rel.hasPrefix("architectures/") || rel.hasSuffix(".sweep.yaml") { continue }
            files.append(url.path)
        }
        files.sort()
        XCTAssertGreaterThanOrEqual(files.count, 12)
        let r = try CLI.run(["check"] + files)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout.split(separator: "\n").filter { $0.contains(": ok — ") }.count, files.count)
        XCTAssertEqual(r.stdout.split(separator: "\n").filter { $0.hasPrefix("estimate: peak memory ~") }.count, files.count)
        for sweep in ["claims/replicas.sweep.yaml", "claims/cache-effect.sweep.yaml", "claims/capacity-grid.sweep.yaml",
                      "bench/taobao-2020-v1.replications.sweep.yaml"] {
            let s = try CLI.run(["sweep", root.appendingPathComponent(sweep).path, "--list"])
            XCTAssertEqual(s.status, 0, "\(sweep): \(s.stderr)")
        }
    }
}
