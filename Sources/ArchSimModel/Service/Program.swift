// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimKernel

/// One instruction of a compiled operation, its operands named (at most 12 bytes of operands:
/// an instruction is 16 bytes with its tag, no references).
@usableFromInline package enum Instruction: Equatable {
    /// Compute for a time drawn from `sampler`, holding the worker.
    case cpu(sampler: Int32)
    /// Wait for a time drawn from `sampler` (outside the system).
    case delay(sampler: Int32)
    /// Call `service`'s `operation` through the load balancer and wait for the answer, under
    /// call rule `rule` (index into ``Program/callRules``).
    case call(service: Int32, operation: Int32, rule: Int32)
    /// Look the request's key up in `cache`; on a hit jump to `onHit` (past the on_miss code).
    case cacheGet(cache: Int32, onHit: Int32)
    /// Store the request's key in `cache`.
    case cacheSet(cache: Int32)
    /// Remove the request's key from `cache`.
    case cacheDelete(cache: Int32)
    /// Read from `database`; a `strong` read goes to the primary. `key`: see ``Program/requestKey``.
    case dbRead(database: Int32, strong: Bool, key: Int32)
    /// Write to `database` (its primary). `key`: see ``Program/requestKey``; `lock`: index into
    /// ``Program/lockTimeouts`` of a `lock: row` write, or -1.
    case dbWrite(database: Int32, key: Int32, lock: Int32)
    /// Start `count` branches whose entry points are ``Program/forkTargets``[first ..< first+count];
    /// wait for all.
    case fork(first: Int32, count: Int32)
    /// End of a parallel branch: tell the parent.
    case branchEnd
    /// End of the operation: answer the caller.
    case end

    /// Whether it closes a piece of code (an operation or a branch).
    package var closes: Bool {
        switch self {
        case .end, .branchEnd: return true
        default: return false
        }
    }
}

/// A call step's policy, ready to run: timeout (0 = none), retries, backoff, breaker index.
package struct CallRule {
    package var timeout: Int64
    package var retries: Int32
    package var backoff: Sampler?
    /// Index into the simulation's breakers, or -1.
    package var breaker: Int32
}

/// A distribution with its own random stream.
@usableFromInline package struct Sampler {
    @usableFromInline package let distribution: Distribution
    @usableFromInline package let stream: RandomStream
    @inlinable package func sample() -> Int64 { distribution.sample(stream) }
}

/// Every operation of the architecture compiled to one flat array of instructions.
///
/// An operation is `cpu` (if any), then its steps, then `end`. A `parallel` step becomes a
/// `fork` whose branches are compiled after the operation's `end`, each closed by `branchEnd`.
/// Running a request is then a program counter moving through integers — no closures, no
/// existentials, no allocation per step.
package struct Program {
    package var code: [Instruction] = []
    package var forkTargets: [Int32] = []
    package var samplers: [Sampler] = []
    package var callRules: [CallRule] = []
    /// The policies of the circuit breakers (one per call step that has one).
    package var breakerPolicies: [CircuitBreakerPolicy] = []
    /// Entry pc of each operation: [service][operation].
    package var entry: [[Int32]] = []
    /// For each pc, the pc of the `end` or `branchEnd` that closes its code.
    package var endOf: [Int32] = []
    /// A database step's `key` operand: the request's key, a fresh key, or (≥ 0) the request's
    /// key of step key space `stepKeySpaces[k]`.
    package static let requestKey: Int32 = -1, newKey: Int32 = -2
    /// The key spaces steps name with `key: SPACE`, in order of first use: every request draws
    /// one key from each when it arrives.
    package var stepKeySpaces: [Int] = []
    /// The wait limit (ns; 0: none) of each `lock: row` write.
    package var lockTimeouts: [Int64] = []

    package init(architecture: Architecture, streams: RandomStreams) throws(SimulationError) {
        for (s, service) in architecture.services.enumerated() {
            var entries: [Int32] = []
            for op in service.operations {
                entries.append(Int32(code.count))
                let prefix = "service.\(service.name).\(op.name)"
                if let cpu = op.cpu { code.append(.cpu(sampler: addSampler(cpu, "\(prefix).cpu", streams))) }
                var pending: [(slot: Int, step: Step, path: String)] = []
                try emit(op.steps, path: "\(prefix).steps", streams: streams, pending: &pending)
                code.append(.end)
                // Branches live after the operation's end; a branch may fork again.
                while !pending.isEmpty {
                    let (slot, step, path) = pending.removeFirst()
                    forkTargets[slot] = Int32(code.count)
                    try emit([step], path: path, streams: streams, pending: &pending)
                    code.append(.branchEnd)
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
            if code[pc].closes { close = Int32(pc) }
            endOf[pc] = close
        }
    }

    private mutating func addSampler(_ d: Distribution, _ name: String, _ streams: RandomStreams) -> Int32 {
        samplers.append(Sampler(distribution: d, stream: streams.stream(name)))
        return Int32(samplers.count - 1)
    }

    private mutating func keyOperand(_ key: StepKey) -> Int32 {
        switch key {
        case .request: return Self.requestKey
        case .new: return Self.newKey
        case .space(let space):
            if let k = stepKeySpaces.firstIndex(of: space) { return Int32(k) }
            stepKeySpaces.append(space)
            return Int32(stepKeySpaces.count - 1)
        }
    }

    private mutating func emit(_ steps: [Step], path: String, streams: RandomStreams,
                               pending: inout [(slot: Int, step: Step, path: String)]) throws(SimulationError) {
        for (i, step) in steps.enumerated() {
            let here = "\(path).\(i)"
            switch step {
            case .cpu(let d): code.append(.cpu(sampler: addSampler(d, "\(here).cpu", streams)))
            case .delay(let d): code.append(.delay(sampler: addSampler(d, "\(here).delay", streams)))
            case .call(let ref, let policy):
                var rule = CallRule(timeout: policy.timeout ?? 0, retries: Int32(policy.retries), backoff: nil, breaker: -1)
                if policy.retries > 0 { rule.backoff = Sampler(distribution: policy.backoff, stream: streams.stream("\(here).backoff")) }
                if let breaker = policy.circuitBreaker {
                    breakerPolicies.append(breaker)
                    rule.breaker = Int32(breakerPolicies.count - 1)
                }
                callRules.append(rule)
                code.append(.call(service: Int32(ref.service), operation: Int32(ref.operation),
                                  rule: Int32(callRules.count - 1)))
            case .parallel(let branches):
                let slot = forkTargets.count
                forkTargets.append(contentsOf: repeatElement(-1, count: branches.count))
                code.append(.fork(first: Int32(slot), count: Int32(branches.count)))
                for (b, branch) in branches.enumerated() { pending.append((slot + b, branch, "\(here).\(b)")) }
            case .cacheGet(let cache, let onMiss):
                let at = code.count
                code.append(.cacheGet(cache: Int32(cache), onHit: -1))
                try emit(onMiss, path: "\(here).on_miss", streams: streams, pending: &pending)
                code[at] = .cacheGet(cache: Int32(cache), onHit: Int32(code.count))
            case .cacheSet(let cache): code.append(.cacheSet(cache: Int32(cache)))
            case .cacheDelete(let cache): code.append(.cacheDelete(cache: Int32(cache)))
            case .dbRead(let db, let strong, let row):
                code.append(.dbRead(database: Int32(db), strong: strong, key: keyOperand(row.key)))
            case .dbWrite(let db, let row):
                var lock: Int32 = -1
                if let rowLock = row.lock {
                    lockTimeouts.append(rowLock.timeout ?? 0)
                    lock = Int32(lockTimeouts.count - 1)
                }
                code.append(.dbWrite(database: Int32(db), key: keyOperand(row.key), lock: lock))
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
