// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimModel
import ArchSimScenario
import Foundation
import XCTest

/// Scenarios written as YAML text, as users write them, loaded and run.
enum ScenarioText {
    static func load(_ yaml: String) throws -> Scenario {
        try ScenarioLoader.load(yaml: yaml, file: "test.yaml", baseDirectory: FileManager.default.temporaryDirectory.path)
    }

    static func run(_ yaml: String, jobs: Int = 2) throws -> ScenarioResult {
        let r = try Runner.run(load(yaml), jobs: jobs)
        Invariants.check(r)
        return r
    }
}
