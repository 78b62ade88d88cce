// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimScenario

/// `archsim check` on a sweep file: every point's scenario is read and checked, as
/// `archsim sweep` does before running anything.
///
/// Returns nil when `file` is not a sweep (a scenario: check it as one), else the line to print
/// when every point checks; throws ``ScenarioErrors`` with every problem (at the sweep file's
/// line and column for a bad key path or value) otherwise.
func checkSweepFile(_ file: String) throws -> String? {
    guard SweepLoader.isSweep(path: file) else { return nil }
    let sweep = try SweepLoader.load(path: file)
    let points = sweep.points.count
    return "\(file): ok — sweep of \(points) point\(points == 1 ? "" : "s") over "
        + "\(sweep.parameters.joined(separator: ", ")) of \(sweep.scenarioPath)"
}
