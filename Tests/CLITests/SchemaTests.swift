// SPDX-License-Identifier: GPL-3.0-or-later
import Foundation
import XCTest

/// `archsim schema` and the committed copies in schema/: they cannot go stale. (That every
/// bundled scenario passes the schema is tools/test_schema.py's job: it needs a JSON Schema
/// validator.)
final class SchemaTests: XCTestCase {
    func testCommittedSchemasAreWhatArchsimWrites() throws {
        for (flags, name) in [([String](), "scenario"), (["--sweep"], "sweep")] {
            let r = try CLI.run(["schema"] + flags)
            XCTAssertEqual(r.status, 0, r.stderr)
            let committed = try String(contentsOf: CLI.repository.appendingPathComponent("schema/\(name).schema.json"), encoding: .utf8)
            XCTAssertEqual(r.stdout, committed, "schema/\(name).schema.json is stale: archsim schema \(flags.joined()) > schema/\(name).schema.json")
        }
    }

    func testSchemaNamesEveryKeyTheReaderKnows() throws {
        let r = try CLI.run(["schema"])
        let schema = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let properties = try XCTUnwrap(schema["properties"] as? [String: Any])
        XCTAssertEqual(Set(properties.keys), ["version", "name", "description", "seed", "duration", "warmup", "replications",
                                              "window", "workload", "architecture", "faults"])
        let definitions = try XCTUnwrap(schema["definitions"] as? [String: Any])
        for id in ["workload", "architecture", "service", "operation", "steps", "step_call", "cache", "database", "fault"] {
            XCTAssertNotNil(definitions[id], id)
        }
    }
}
