// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimKernel
import XCTest

final class WeightedChoiceTests: XCTestCase {
    /// Frequencies of 400 000 draws within 5 binomial standard errors of weight / Σ weights;
    /// zero weights never drawn.
    func testFrequencies() {
        let weights: [Double] = [1, 0, 2, 3, 0.5, 0, 10, 0.01]
        let choice = WeightedChoice(weights: weights)
        let m = 400_000
        var counts = [Int](repeating: 0, count: weights.count)
        withStream(seed: 77, "wc") { stream in
            for _ in 0..<m { counts[choice.sample(stream)] += 1 }
        }
        let total = weights.reduce(0, +)
        for i in weights.indices {
            let p = weights[i] / total
            XCTAssertEqual(choice.probabilities[i], p, accuracy: 1e-15)
            if p == 0 { XCTAssertEqual(counts[i], 0); continue }
            let se = (Double(m) * p * (1 - p)).squareRoot()
            XCTAssertEqual(Double(counts[i]), Double(m) * p, accuracy: 5 * se, "index \(i)")
        }
    }

    /// The alias table reproduces the probabilities exactly: P(i) = (keep[i] + Σ_{j: alias j = i} (1 − keep[j])) / n.
    func testAliasTableIsExact() {
        let weights = (0..<1000).map { Double(($0 * 7919) % 101) }
        let choice = WeightedChoice(weights: weights)
        let n = Double(weights.count)
        var p = choice.keep.map { $0 / n }
        for j in choice.alias.indices where choice.keep[j] < 1 { p[choice.alias[j]] += (1 - choice.keep[j]) / n }
        let total = weights.reduce(0, +)
        for i in weights.indices { XCTAssertEqual(p[i], weights[i] / total, accuracy: 1e-12) }
        XCTAssertEqual(WeightedChoice(weights: weights), choice, "construction is deterministic")
    }

    func testSingleAndEqual() {
        withStream(seed: 1, "w") { stream in
            let one = WeightedChoice(weights: [0.3])
            for _ in 0..<100 { XCTAssertEqual(one.sample(stream), 0) }
            let onlyLast = WeightedChoice(weights: [0, 0, 0, 4])
            for _ in 0..<1000 { XCTAssertEqual(onlyLast.sample(stream), 3) }
        }
        XCTAssertEqual(WeightedChoice(weights: [2, 2, 2]).keep, [1, 1, 1])
    }
}
