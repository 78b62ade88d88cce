// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimModel
import ArchSimScenario

/// Checks the commands that vary knobs and judge or report metrics share (capacity,
/// sensitivity, optimize, --precision): each refuses the same mistakes with the same words.
enum ObjectiveChecks {
    /// `--vary` texts as knobs; a key path varied twice is refused.
    static func knobs(_ texts: [String]) throws -> [ScenarioKnob] {
        let knobs = try texts.map { text in
            do { return try ScenarioKnob(parsing: text) } catch { throw InputError(description: "\(error)") }
        }
        var seen: Set<String> = []
        for knob in knobs where !seen.insert(knob.path).inserted {
            throw InputError(description: "--vary \(knob): \(knob.path) is varied twice; give each key path once")
        }
        return knobs
    }

    /// Refuses an objective or metric naming a request type `scenario` does not have.
    /// `option` starts the message ("--slo ", or "" where the text says enough).
    static func requestTypes(_ objectives: [ServiceLevelObjective], in scenario: Scenario, option: String) throws {
        for o in objectives {
            if let t = o.requestType, !scenario.workload.requestTypes.contains(where: { $0.name == t }) {
                throw InputError(description: "\(option)\(o.text): \(scenario.name) has no request type '\(t)'")
            }
        }
    }

    /// Refuses an objective or metric whose comparison.csv metric `result` lacks (a misspelt name
    /// would otherwise read as "no data": every verdict fails, no precision is ever reached).
    static func metricsKnown(_ objectives: [ServiceLevelObjective], in result: ScenarioResult, option: String) throws {
        guard let o = objectives.first(where: { !$0.isKnown(in: result) }) else { return }
        let names = Set(Comparison.rows(of: result)).sorted().joined(separator: ", ")
        throw InputError(description: "\(option)\(o.text): \(result.name)'s results have no metric '\(o.column ?? o.text)' (they have: \(names))")
    }
}

extension SimulationOptions {
    /// ``ServiceLevelObjective/judge(_:_:jobs:)`` with this run's jobs; a scenario the model
    /// cannot run is bad input.
    func judge(_ objectives: [ServiceLevelObjective], _ s: Scenario) throws -> (holds: Bool, result: ScenarioResult) {
        do { return try ServiceLevelObjective.judge(objectives, s, jobs: jobs) }
        catch let e as SimulationError { throw InputError(description: "\(s.sourcePath ?? s.name): \(e)") }
    }
}
