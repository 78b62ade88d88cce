// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimKernel

/// Services: admission through the load balancer, workers and queues, the operation
/// interpreter, calls with timeouts, retries and circuit breakers, processor sharing.
extension Simulation {
    /// A task reaches its service: the balancer picks an instance, which runs it, queues it or
    /// rejects it. An instance that crashed but is still in the balancer fails it at once.
    func admit(_ t: TaskID) {
        if tracksPath { path.start(t, at: events.now) }
        let s = Int(tasks[t].service)
        let first = firstInstance[s]
        let key = requests[tasks[t].request].optionalKey
        let count = balancers[s].count
        var picked = instances.withUnsafeBufferPointer {
            balancers[s].pick(key: key, instances: UnsafeBufferPointer(rebasing: $0[first ..< first + count]))
        }
        if let p = picked, instances[first + p].down, retryFailed[s] > 0 { picked = retryElsewhere(service: s, key: key, tried: p) }
        guard let pick = picked, !instances[first + pick].down else { return fail(t, .failed) }
        let inst = first + pick
        tasks[t].instance = InstanceID(inst)
        let now = events.now
        switch instances[inst].admit(t, at: now) {
        case .granted:
            recorder.workerTaken(service: s, at: now)
            recorder.waited(service: s, 0, at: now)
            tasks[t].holdsWorker = true
            run(t)
        case .queued:
            waitForWorker(t, service: s)
        case .rejected:
            recorder.rejected(service: s, at: now)
            tasks[t].instance = .none
            fail(t, .rejected)
        }
    }

    /// `retry_failed`: the request reached crashed instance `tried` (the connection was
    /// refused); the balancer picks again among the instances not tried, up to the service's
    /// limit, each attempt counted in `retries`. Returns the last pick (nil: none left).
    func retryElsewhere(service s: Int, key: UInt64?, tried first: Int) -> Int? {
        let base = firstInstance[s], count = balancers[s].count
        triedInstances.removeAll(keepingCapacity: true)
        triedInstances.append(first)
        var picked: Int? = first
        for _ in 0..<retryFailed[s] {
            let tried = triedInstances[...]
            picked = instances.withUnsafeBufferPointer {
                balancers[s].pick(key: key, instances: UnsafeBufferPointer(rebasing: $0[base ..< base + count]), excluding: tried)
            }
            guard let p = picked else { break }   // no instance left to try: no retry made
            recorder.retried(at: events.now)
            guard instances[base + p].down else { break }
            triedInstances.append(p)
        }
        return picked
    }

    /// The task waits in its instance's queue for a worker.
    func waitForWorker(_ t: TaskID, service s: Int) {
        tasks[t].phase = .waitingForWorker
        recorder.queued(service: s, delta: 1, at: events.now)
    }

    /// The task could not be served: answer its caller with an error.
    func fail(_ t: TaskID, _ failure: Failure) {
        tasks[t].failure = failure
        reply(t)
    }

    /// Sends a finished (or failed) task's answer back to whoever waits for it.
    func reply(_ t: TaskID) {
        switch tasks[t].parent {
        case .client:
            let r = tasks[t].request, failure = tasks[t].failure
            if tracksPath && failure == .ok && requests[r].measured && !requests[r].answered { recordPath(t) }
            freeTask(t)
            finishRequest(r, failure: failure)
        case .detached:
            freeTask(t)
        case .task:
            if let hop { events.schedule(after: hop.sample(), EventKind.answered.payload(t)) } else { answered(t) }
        }
    }

    /// A called operation's answer reaches its caller (unless the caller gave up on it).
    func answered(_ t: TaskID) {
        let parent = tasks[t].parent
        let failure = tasks[t].failure
        if tracksPath, failure == .ok, case .task(let caller) = parent { path.merge(t, into: caller) }
        freeTask(t)
        guard case .task(let caller) = parent else { return }   // detached meanwhile
        if tasks[caller].killed { freeTask(caller); return }
        tasks[caller].child = nil
        callEnded(caller, failure: failure)
    }

    // MARK: Calls

    /// The call step the task is at (at `pc - 1`).
    @inline(__always) func callStep(of t: TaskID) -> (service: Int32, operation: Int32, rule: CallRule) {
        guard case .call(let service, let operation, let rule) = program.code[Int(tasks[t].pc) - 1] else {
            preconditionFailure("not at a call step")
        }
        return (service, operation, program.callRules[Int(rule)])
    }

    /// Makes (or remakes) the call of the call step the task is at. The circuit breaker may
    /// fail it at once.
    func issueCall(_ t: TaskID) {
        // The caller's wait: the callee's time (merged when it answers) and the hops.
        if tracksPath { path.wait(t, for: .network) }
        let call = callStep(of: t)
        if call.rule.breaker >= 0 && !breakers[Int(call.rule.breaker)].allows(at: events.now) {
            return callEnded(t, failure: .failed, breakerRecords: false)
        }
        let child = allocateTask(Task(request: tasks[t].request, parent: .task(t), service: call.service,
                                      pc: program.entry[Int(call.service)][Int(call.operation)], isBranch: false))
        tasks[child].endPC = program.endOf[Int(tasks[child].pc)]
        tasks[t].child = child
        tasks[t].generation &+= 1
        if call.rule.timeout > 0 {
            events.scheduleTimeout(after: call.rule.timeout, EventKind.callTimeout.payload(t, generation: tasks[t].generation))
        }
        if let hop { events.schedule(after: hop.sample(), EventKind.deliver.payload(child)) } else { admit(child) }
    }

    /// A call's timeout: if still waiting for that call, the caller gives up on it (the callee's
    /// work goes on, detached) and treats it as failed.
    func callTimedOut(_ t: TaskID, generation: UInt32) {
        guard tasks[t].alive, !tasks[t].killed, tasks[t].generation & 0xFF_FFFF == generation,
              let child = tasks[t].child else { return }
        tasks[child].parent = .detached
        tasks[t].child = nil
        callEnded(t, failure: .timeout)
    }

    /// The call step's attempt ended: tell the breaker, retry after a backoff if allowed, or go on.
    func callEnded(_ t: TaskID, failure: Failure, breakerRecords: Bool = true) {
        let rule = callStep(of: t).rule
        if breakerRecords && rule.breaker >= 0 {
            let b = Int(rule.breaker)
            let wasOpen = breakers[b].state != .closed
            breakers[b].record(success: failure == .ok, at: events.now)
            let isOpen = breakers[b].state != .closed
            if wasOpen != isOpen { recorder.breakerChanged(isOpen: isOpen, at: events.now) }
        }
        if failure != .ok && tasks[t].attempt < rule.retries {
            if tracksPath { path.close(t, as: .retries, at: events.now); path.wait(t, for: .retries) }
            tasks[t].attempt += 1
            recorder.retried(at: events.now)
            events.schedule(after: rule.backoff?.sample() ?? 0, EventKind.retry.payload(t))
            return
        }
        tasks[t].attempt = 0
        if failure != .ok && tasks[t].failure == .ok { tasks[t].failure = failure }
        resume(t)
    }

    func retry(_ t: TaskID) {
        if tasks[t].killed { return freeTask(t) }
        if tracksPath { path.close(t, as: .retries, at: events.now) }
        issueCall(t)
    }

    // MARK: Workers

    /// Gives a worker back to instance `inst`: the longest-waiting task takes it.
    func releaseWorker(_ inst: InstanceID) {
        let i = Int(inst.index)
        let s = Int(instances[i].service)
        switch instances[i].releaseWorker(at: events.now) {
        case .task(let next, let waited):
            recorder.queued(service: s, delta: -1, at: events.now)
            recorder.waited(service: s, waited, at: events.now)
            tasks[next].phase = .running
            tasks[next].holdsWorker = true
            if tracksPath { path.close(next, as: .workerQueue, at: events.now) }
            run(next)
        case .freed, .urgent:
            recorder.workerReleased(service: s, at: events.now)
        }
    }

    /// A task's wait is over (compute, delay, call, cache, database or join): go on with its next
    /// instruction. An `io: async` task that gave its worker back needs one again to compute.
    func resume(_ t: TaskID) {
        if tasks[t].killed { return freeTask(t) }
        if tracksPath { path.close(t, at: events.now) }
        if tasks[t].failure != .ok { tasks[t].pc = tasks[t].endPC }
        if !tasks[t].holdsWorker && !tasks[t].isBranch, case .cpu = program.code[Int(tasks[t].pc)] {
            let inst = Int(tasks[t].instance.index)
            if instances[inst].reacquireWorker(t, at: events.now) {
                recorder.workerTaken(service: Int(instances[inst].service), at: events.now)
                tasks[t].holdsWorker = true
            } else {
                // Already admitted: it waits for a worker whatever the queue's bound.
                return waitForWorker(t, service: Int(instances[inst].service))
            }
        }
        run(t)
    }

    /// An `io: async` task gives its worker back while it waits downstream.
    @inline(__always) func waitDownstream(_ t: TaskID) {
        if tasks[t].holdsWorker && !tasks[t].isBranch && asyncService[Int(tasks[t].service)] {
            tasks[t].holdsWorker = false
            releaseWorker(tasks[t].instance)
        }
    }

    /// Time for one message between components: a network hop (0 without one).
    @inline(__always) func hopTime() -> Int64 { hop?.sample() ?? 0 }

    // MARK: The interpreter

    /// Runs task `t` from its program counter until it has to wait.
    func run(_ t: TaskID) {
        let instruction = program.code[Int(tasks[t].pc)]
        tasks[t].pc += 1
        switch instruction {
        case .cpu(let sampler):
            let inst = Int(tasks[t].instance.index)
            var work = program.samplers[Int(sampler)].sample()
            // A `slow` fault stretches CPU work. (Stored fields are read here, not methods of the
            // instance: a non-mutating call on an array element may copy the whole element.)
            let slow = instances[inst].slowFactor
            if slow != 1 { work = Distribution.saturatingNanoseconds(Double(work) * slow) }
            if hasHosts || instances[inst].sharesCores { countCPU(t, work: work) }
            if tracksPath { path.wait(t, for: .cpu, work: work) }
            if hasHosts, instanceMachine[inst] >= 0 {
                tasks[t].phase = .computing
                compute(t, work: work, onMachine: Int(instanceMachine[inst]))
            } else if instances[inst].sharesCores {
                tasks[t].phase = .computing
                let next = instances[inst].startComputing(t, work: work, at: events.now)
                scheduleComputing(instance: inst, next)
            } else {
                events.schedule(after: work, EventKind.resume.payload(t))
            }
        case .delay(let sampler):
            let wait = program.samplers[Int(sampler)].sample()
            if tracksPath { path.wait(t, for: .external) }
            waitDownstream(t)
            events.schedule(after: wait, EventKind.resume.payload(t))
        case .call:
            waitDownstream(t)
            tasks[t].attempt = 0
            issueCall(t)
        case .fork(let first, let count):
            tasks[t].pending = count
            // The parent's wait is the last branch's time (merged when it ends).
            if tracksPath { path.wait(t, for: .network) }
            waitDownstream(t)
            for b in 0..<Int(count) {
                let pc = program.forkTargets[Int(first) + b]
                let branch = allocateTask(Task(request: tasks[t].request, parent: .task(t), service: tasks[t].service,
                                               pc: pc, isBranch: true))
                tasks[branch].instance = tasks[t].instance
                tasks[branch].endPC = program.endOf[Int(pc)]
                if tracksPath { path.start(branch, at: events.now) }
                run(branch)
            }
        case .branchEnd:
            let parent = tasks[t].parent
            let failure = tasks[t].failure
            if tracksPath, case .task(let p) = parent, tasks[p].pending == 1 { path.merge(t, into: p) }
            freeTask(t)
            guard case .task(let p) = parent else { return }
            if failure != .ok && tasks[p].failure == .ok { tasks[p].failure = failure }
            tasks[p].pending -= 1
            if tasks[p].pending == 0 { resume(p) }
        case .cacheGet(let cache, let onHit):
            if tracksPath { path.wait(t, for: .cache) }
            waitDownstream(t)
            cacheStep(t, .get, cache: Int(cache), onHit: onHit)
        case .cacheSet(let cache):
            if tracksPath { path.wait(t, for: .cache) }
            waitDownstream(t)
            cacheStep(t, .set, cache: Int(cache))
        case .cacheDelete(let cache):
            if tracksPath { path.wait(t, for: .cache) }
            waitDownstream(t)
            cacheStep(t, .delete, cache: Int(cache))
        case .dbRead(let database, _, _), .dbWrite(let database, _, _):
            waitDownstream(t)
            databaseStep(t, database: Int(database))
        case .end:
            let inst = tasks[t].instance
            if tasks[t].holdsWorker {
                tasks[t].holdsWorker = false
                releaseWorker(inst)
            }
            instances[Int(inst.index)].finished()
            recorder.served(service: Int(tasks[t].service), at: events.now)
            reply(t)
        }
    }

    // MARK: Processor sharing

    /// CPU work started after the warm-up, per service (cpu_utilization).
    @inline(never) func countCPU(_ t: TaskID, work: Int64) {
        if events.now >= warmupEnd { cpuWork[Int(tasks[t].service)] += Double(work) }
    }

    /// Schedules the instance's next processor-sharing completion (if anything computes) in
    /// place of the pending one, which is stale now (keyed events: it never runs).
    @inline(__always) func scheduleComputing(instance inst: Int, _ next: ServiceInstance.NextCompletion?) {
        guard let next else { return events.cancelKeyed(2 * inst) }
        events.scheduleKeyed(2 * inst, after: next.delay, EventKind.shareDone.payload(inst, generation: next.generation))
    }

    /// Processor sharing at an instance: the tasks whose CPU work is done go on.
    func shareDone(_ inst: Int, generation: UInt32) {
        scratch.removeAll(keepingCapacity: true)
        guard instances[inst].completeComputing(generation: generation, at: events.now, into: &scratch) else { return }
        scheduleComputing(instance: inst, instances[inst].nextComputingCompletion())
        let done = scratch
        for t in done { tasks[t].phase = .running; resume(t) }
    }
}
