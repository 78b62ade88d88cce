// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimKernel

/// What one instruction of a compiled operation does.
@usableFromInline enum Opcode: UInt8 {
    /// Compute for a sampled time, holding the worker. a = sampler.
    case cpu
    /// Wait for a sampled time (outside the system). a = sampler.
    case delay
    /// Call service a's operation b through the load balancer, wait for the answer; c = the
    /// call policy (index into callPolicies).
    case call
    /// Look the request's key up in cache a; on a hit jump to b (past the on_miss code).
    case cacheGet
    /// Store the request's key in cache a.
    case cacheSet
    /// Remove the request's key from cache a.
    case cacheDelete
    /// Read from database a; b = 1 for a strong read (primary).
    case dbRead
    /// Write to database a (primary).
    case dbWrite
    /// Start b branches whose entry points are forkTargets[a ..< a+b]; wait for all.
    case fork
    /// End of a parallel branch: tell the parent.
    case branchEnd
    /// End of the operation: answer the caller.
    case end
}

/// One instruction: an opcode and three integer operands (16 bytes, no references).
@usableFromInline struct Instruction {
    @usableFromInline var op: Opcode
    @usableFromInline var a: Int32
    @usableFromInline var b: Int32
    @usableFromInline var c: Int32
    init(_ op: Opcode, _ a: Int32 = 0, _ b: Int32 = 0, _ c: Int32 = 0) { self.op = op; self.a = a; self.b = b; self.c = c }
}

/// A call step's policy, ready to run: timeout (0 = none), retries, backoff, breaker index.
struct CallRule {
    var timeout: Int64
    var retries: Int32
    var backoff: Sampler?
    /// Index into the simulation's breakers, or -1.
    var breaker: Int32
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
    var callRules: [CallRule] = []
    /// The policies of the circuit breakers (one per call step that has one).
    var breakerPolicies: [CircuitBreakerPolicy] = []
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
            case .call(let ref, let policy):
                var rule = CallRule(timeout: policy.timeout ?? 0, retries: Int32(policy.retries), backoff: nil, breaker: -1)
                if policy.retries > 0 { rule.backoff = Sampler(distribution: policy.backoff, stream: streams.stream("\(here).backoff")) }
                if let breaker = policy.circuitBreaker {
                    breakerPolicies.append(breaker)
                    rule.breaker = Int32(breakerPolicies.count - 1)
                }
                callRules.append(rule)
                code.append(Instruction(.call, Int32(ref.service), Int32(ref.operation), Int32(callRules.count - 1)))
            case .parallel(let branches):
                let slot = forkTargets.count
                forkTargets.append(contentsOf: repeatElement(-1, count: branches.count))
                code.append(Instruction(.fork, Int32(slot), Int32(branches.count)))
                for (b, branch) in branches.enumerated() { pending.append((slot + b, branch, "\(here).\(b)")) }
            case .cacheGet(let cache, let onMiss):
                let at = code.count
                code.append(Instruction(.cacheGet, Int32(cache)))
                try emit(onMiss, path: "\(here).on_miss", streams: streams, pending: &pending)
                code[at].b = Int32(code.count)
            case .cacheSet(let cache): code.append(Instruction(.cacheSet, Int32(cache)))
            case .cacheDelete(let cache): code.append(Instruction(.cacheDelete, Int32(cache)))
            case .dbRead(let db, let strong): code.append(Instruction(.dbRead, Int32(db), strong ? 1 : 0))
            case .dbWrite(let db): code.append(Instruction(.dbWrite, Int32(db)))
            }
        }
    }
}

/// A scenario the simulation cannot run.
public enum SimulationError: Error, CustomStringConvertible, Sendable {
    case unsupported(String)
    /// A request to the simulator that does not make sense (e.g. an objective that does not parse).
    case invalid(String)
    public var description: String {
        switch self {
        case .unsupported(let what): return "not supported: \(what)"
        case .invalid(let what): return what
        }
    }
}
