// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimReport
import ArchSimScenario

/// The points of a sweep in a fixed order, each with a stable id (`p0000`, `p0001`, …): what
/// `sweep --list` prints, what `sweep-plan.csv` holds, and how points are split into shards.
public struct SweepPlan: Sendable {
    public let definition: SweepDefinition

    public init(_ definition: SweepDefinition) { self.definition = definition }

    /// Point indices, 0-based, in plan order.
    public var indices: Range<Int> { definition.points.indices }

    /// The stable id of point `i`: its position in the plan, `p0000`, `p0001`, …
    public static func id(_ i: Int) -> String { SweepDefinition.id(i) }

    /// The points to run: all of them, or shard K of N's (point i belongs to shard i mod N + 1).
    public func points(in shard: Shard?) -> [Int] {
        guard let shard else { return Array(indices) }
        return indices.filter(shard.contains)
    }

    /// One line per point: the id, then `key=value` for each parameter, two spaces apart.
    public var listing: [String] {
        indices.map { i in ([Self.id(i)] + definition.points[i].map(\.description)).joined(separator: "  ") }
    }

    /// `sweep-plan.csv`: the column `point`, then one column per parameter; one row per point.
    /// Every shard of a sweep writes the same bytes.
    public var table: CSVTable {
        var t = CSVTable(header: ["point"] + definition.parameters)
        for i in indices { t.append([Self.id(i)] + values(i)) }
        return t
    }

    /// `params.csv` of point `i`: its parameters and their values.
    public func parameters(_ i: Int) -> CSVTable {
        var t = CSVTable(header: definition.parameters)
        t.append(values(i))
        return t
    }

    /// Point `i`'s values, one per parameter, in parameter order.
    public func values(_ i: Int) -> [String] { definition.points[i].map(\.value) }

    /// A one-line description of point `i` for progress: `key=value key=value`.
    public func describe(_ i: Int) -> String { definition.points[i].map(\.description).joined(separator: " ") }
}
