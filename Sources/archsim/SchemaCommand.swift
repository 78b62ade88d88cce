// SPDX-License-Identifier: GPL-3.0-or-later
import ArgumentParser
import ArchSimScenario

/// `archsim schema`: the scenario format as a JSON Schema, for editors.
struct SchemaCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schema",
        abstract: "Print the JSON Schema of the scenario format (or of sweep files), for editors.",
        discussion: """
        Written from the reader's own key tables, so it names exactly the keys `archsim check` accepts. \
        The committed copies are schema/scenario.schema.json and schema/sweep.schema.json; with \
        yaml-language-server, a first line `# yaml-language-server: $schema=<path to schema/scenario.schema.json>` \
        makes an editor complete keys and flag mistakes as you type. The reader checks more than a schema \
        can say (references between names, cross-key rules); `archsim check` is the last word.
        """)

    @Flag(help: "The schema of sweep files instead of scenarios.")
    var sweep = false

    func run() throws {
        print(ScenarioSchema.json(sweep ? .sweep : .scenario), terminator: "")
    }
}
