// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimKernel

/// What one instruction of a compiled operation does.
@usableFromInline enum Opcode: UInt8 {
    /// Compute for a sampled time, holding the worker. a = sampler.
    case cpu
    /// Wait for a sampled time (outside the system). a = sampler.
    case delay
    /// Call service a's operation b through the load balancer, wait for the answer.
    case call
    /// Start b branches whose entry points are forkTargets[a ..< a+b]; wait for all.
    case fork
    /// End of a parallel branch: tell the parent.
    case branchEnd
    /// End of the operation: answer the caller.
    case end
}

/// One instruction: an opcode and two integer operands (12 bytes, no references).
@usableFromInline struct Instruction {
    @usableFromInline var op: Opcode
    @usableFromInline var a: Int32
    @usableFromInline var b: Int32
    init(_ op: Opcode, _ a: Int32 = 0, _ b: Int32 = 0) { self.op = op; self.a = a; self.b = b }
}

/// A distribution with its own random stream.
@usableFromInline struct Sampler {
    @usableFromInline let distribution: Distribution
    @usableFromInline let stream: RandomStream
    @inlinable func sample() -> Int64 { distribution.sample(stream) }
}

/// Every operation of the architecture compiled to one flat array of instructions.
///
/// An operation is `cpu` (if any), then its steps, then `end`. A `parallel` step becomes a
/// `fork` whose branches are compiled after the operation's `end`, each closed by `branchEnd`.
/// Running a request is then a program counter moving through integers — no closures, no
/// existentials, no allocation per step.
struct Program {
    var code: [Instruction] = []
    var forkTargets: [Int32] = []
    var samplers: [Sampler] = []
    /// Entry pc of each operation: [service][operation].
    var entry: [[Int32]] = []
    /// For each pc, the pc of the `end` or `branchEnd` that closes its code.
    var endOf: [Int32] = []

    init(architecture: Architecture, streams: RandomStreams) throws(SimulationError) {
        for (s, service) in architecture.services.enumerated() {
            var entries: [Int32] = []
            for op in service.operations {
                entries.append(Int32(code.count))
                let prefix = "service.\(service.name).\(op.name)"
                if let cpu = op.cpu { code.append(Instruction(.cpu, addSampler(cpu, "\(prefix).cpu", streams))) }
                var pending: [(slot: Int, step: Step, path: String)] = []
                try emit(op.steps, path: "\(prefix).steps", streams: streams, pending: &pending)
                code.append(Instruction(.end))
                // Branches live after the operation's end; a branch may fork again.
                while !pending.isEmpty {
                    let (slot, step, path) = pending.removeFirst()
                    forkTargets[slot] = Int32(code.count)
                    try emit([step], path: path, streams: streams, pending: &pending)
                    code.append(Instruction(.branchEnd))
                }
            }
            entry.append(entries)
            _ = s
        }
        // Each pc's closing `end` or `branchEnd`: branches are compiled after their operation's
        // end, so the first closing instruction at or after a code start is its own.
        endOf = Array(repeating: 0, count: code.count)
        var close = Int32(code.count - 1)
        for pc in stride(from: code.count - 1, through: 0, by: -1) {
            if code[pc].op == .end || code[pc].op == .branchEnd { close = Int32(pc) }
            endOf[pc] = close
        }
    }

    private mutating func addSampler(_ d: Distribution, _ name: String, _ streams: RandomStreams) -> Int32 {
        samplers.append(Sampler(distribution: d, stream: streams.stream(name)))
        return Int32(samplers.count - 1)
    }

    private mutating func emit(_ steps: [Step], path: String, streams: RandomStreams,
                               pending: inout [(slot: Int, step: Step, path: String)]) throws(SimulationError) {
        for (i, step) in steps.enumerated() {
            let here = "\(path).\(i)"
            switch step {
            case .cpu(let d): code.append(Instruction(.cpu, addSampler(d, "\(here).cpu", streams)))
            case .delay(let d): code.append(Instruction(.delay, addSampler(d, "\(here).delay", streams)))
            case .call(let ref, _): code.append(Instruction(.call, Int32(ref.service), Int32(ref.operation)))
            case .parallel(let branches):
                let slot = forkTargets.count
                forkTargets.append(contentsOf: repeatElement(-1, count: branches.count))
                code.append(Instruction(.fork, Int32(slot), Int32(branches.count)))
                for (b, branch) in branches.enumerated() { pending.append((slot + b, branch, "\(here).\(b)")) }
            case .cacheGet, .cacheSet, .cacheDelete, .dbRead, .dbWrite:
                throw SimulationError.unsupported("caches and databases are not simulated yet (\(here))")
            }
        }
    }
}

/// A scenario the simulation cannot run.
public enum SimulationError: Error, CustomStringConvertible, Sendable {
    case unsupported(String)
    public var description: String {
        switch self { case .unsupported(let what): return "not supported: \(what)" }
    }
}
