// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimScenario
import XCTest

/// `SweepLoader.isSweep`: how `archsim check` tells a sweep file from a scenario.
final class SweepDetectionTests: XCTestCase {
    func testSweepFilesAreToldFromScenarios() throws {
        let dir = try temporaryDirectory(self)
        let cases: [(String, Bool)] = [
            ("scenario: base.yaml\ngrid:\n  seed: [1, 2]\n", true),
            ("scenario: base.yaml\npoints:\n  - {seed: 1}\n", true),
            ("scenario: base.yaml\n", false),                                  // a broken sweep: the scenario reader says what is wrong
            ("version: 1\nduration: 1s\nworkload: w.yaml\narchitecture: a.yaml\n", false),
            ("[scenario, grid]\n", false),
            ("scenario: {grid: 1\n", false),                                   // not YAML
            ("", false),
        ]
        for (i, (text, expected)) in cases.enumerated() {
            let path = dir + "/f\(i).yaml"
            try write(text, to: path)
            XCTAssertEqual(SweepLoader.isSweep(path: path), expected, text)
        }
        XCTAssertFalse(SweepLoader.isSweep(path: dir + "/missing.yaml"))
    }
}
