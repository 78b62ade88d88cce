// SPDX-License-Identifier: GPL-3.0-or-later

/// Faults: a `crash` or a `slow`down of a service instance, a cache node, a replica or the
/// primary, from `at` for `for`; health checks; failover of a crashed primary. Each component
/// changes its own state; the simulation fails the tasks a crash takes with it.
extension Simulation {
    func scheduleFaults() {
        for (i, fault) in scenario.faults.enumerated() {
            events.schedule(at: fault.at, EventKind.faultStarts.payload(i))
            if let duration = fault.duration { events.schedule(at: fault.at + duration, EventKind.faultEnds.payload(i)) }
        }
    }

    func faultStarts(_ i: Int) {
        let fault = scenario.faults[i]
        switch (fault.kind, fault.target) {
        case (.slow(let factor), .serviceInstance(let s, let n)): instances[firstInstance[s] + n].slow(by: factor)
        case (.slow(let factor), .cacheNode(let c, let n)): caches[c].slow(node: n, by: factor)
        case (.slow(let factor), .databaseServer(let d, let shard, let s)):
            databases[shardBase[d] + shard].slow(server: s, by: factor)
        case (.crash, .serviceInstance(let s, let n)):
            let inst = firstInstance[s] + n
            instanceCrashes[inst] += 1
            if !instances[inst].down { crashInstance(inst) }
        case (.crash, .cacheNode(let c, let n)): caches[c].crash(node: n)
        case (.crash, .databaseServer(let d, let shard, let s)):
            let set = shardBase[d] + shard
            serverCrashes[set][s] += 1
            if !databases[set].servers[s].down { crashDatabaseServer(database: set, server: s) }
        case (.slow(let factor), .hostMachine(let h, let n)): machines[machineBase[h] + n].slowFactor = factor
        case (.crash, .hostMachine(let h, let n)): crashMachine(machineBase[h] + n)
        }
    }

    func faultEnds(_ i: Int) {
        let fault = scenario.faults[i]
        switch (fault.kind, fault.target) {
        case (.slow, .serviceInstance(let s, let n)): instances[firstInstance[s] + n].slow(by: 1)
        case (.slow, .cacheNode(let c, let n)): caches[c].slow(node: n, by: 1)
        case (.slow, .databaseServer(let d, let shard, let s)): databases[shardBase[d] + shard].slow(server: s, by: 1)
        case (.crash, .serviceInstance(let s, let n)):
            // Back when no crash fault holds it down any more, its own or its machine's.
            let inst = firstInstance[s] + n
            instanceCrashes[inst] -= 1
            if instanceCrashes[inst] == 0 && !machineDown(instanceMachine[inst]) && instances[inst].down { recoverInstance(inst) }
        case (.slow, .hostMachine(let h, let n)): machines[machineBase[h] + n].slowFactor = 1
        case (.crash, .hostMachine(let h, let n)): recoverMachine(machineBase[h] + n)
        case (.crash, .cacheNode(let c, let n)): caches[c].recover(node: n)
        case (.crash, .databaseServer(let d, let shard, let s)):
            let set = shardBase[d] + shard
            serverCrashes[set][s] -= 1
            if serverCrashes[set][s] == 0 && !machineDown(serverMachine[set][s]) && databases[set].servers[s].down {
                databases[set].recover(server: s, at: events.now, events: &events)
                if hasHosts { drainHostApplies(set) }
            }
        }
    }

    // MARK: Service instances

    /// Instance `inst` is back; the balancer sends to it again after the next health check passes.
    func recoverInstance(_ inst: Int) {
        instances[inst].recover()
        let interval = scenario.architecture.services[Int(instances[inst].service)].healthCheck.interval
        let nextProbe = (events.now + interval - 1) / interval * interval
        events.schedule(at: nextProbe, EventKind.healthUp.payload(inst))
    }

    /// An instance crashes: everything on it is lost. Waiting callers get an error now (their
    /// retries may go elsewhere); its work in progress is abandoned. The balancer keeps sending
    /// to it — and those requests fail — until the health check notices.
    func crashInstance(_ inst: Int) {
        let s = Int(instances[inst].service)
        let now = events.now
        let lost = instances[inst].crash(at: now)
        if hasClientPools { clientPools.instanceCrashed(inst, service: s) }
        recorder.queued(service: s, delta: -Double(lost.waiting), at: now)
        for _ in 0..<lost.busy { recorder.workerReleased(service: s, at: now) }
        // Tasks on it, in index order (deterministic).
        scratch.removeAll(keepingCapacity: true)
        let here = InstanceID(inst)
        for i in tasks.indices where tasks[i].alive && !tasks[i].killed && tasks[i].instance == here {
            scratch.append(TaskID(i))
        }
        let victims = scratch
        for t in victims {
            let parent = tasks[t].parent
            tasks[t].killed = true
            tasks[t].holdsWorker = false
            tasks[t].parent = .detached
            guard !tasks[t].isBranch else { continue }
            switch parent {
            case .client: finishRequest(tasks[t].request, failure: .failed)
            case .task(let caller) where !tasks[caller].killed:
                tasks[caller].child = nil
                callEnded(caller, failure: .failed)
            default: break
            }
        }
        // Tasks with no event of their own pending are freed now; the others when it comes.
        for t in victims {
            let phase = tasks[t].phase
            if phase == .waitingForWorker || phase == .computing || phase == .waitingForConnection
                || (tasks[t].pending > 0 && tasks[t].child == nil) {
                freeTask(t)
            }
        }
        // Branches of a freed parent must not report back to it.
        for t in victims where tasks[t].alive && tasks[t].isBranch { tasks[t].parent = .detached }
        // Its work on a host machine is lost with it.
        if hasHosts, instanceMachine[inst] >= 0 { purgeMachine(Int(instanceMachine[inst])) }
        let check = scenario.architecture.services[s].healthCheck
        let firstFailedProbe = (now + check.interval - 1) / check.interval * check.interval
        events.schedule(at: firstFailedProbe + Int64(check.unhealthyAfter - 1) * check.interval,
                        EventKind.healthDown.payload(inst))
    }

    /// The health check has failed `unhealthy_after` times in a row: the balancer stops sending.
    func healthDown(_ inst: Int) { instances[inst].healthCheckFailed() }

    /// A probe passes: the balancer sends to the instance again.
    func healthUp(_ inst: Int) { instances[inst].healthCheckPassed() }

    // MARK: Databases

    /// A database server (of replica set `d`: a database's shard) crashes: its queries fail now; a replica's apply work in progress goes
    /// back to its relay log; a primary's writes fail until it is back or a replica is promoted.
    func crashDatabaseServer(database d: Int, server s: Int) {
        let wasPrimary = databases[d].crash(server: s, at: events.now)
        // Fail the queries that were waiting on or running at it, in task order.
        let here = ServerID(database: d, server: s)
        for i in tasks.indices where tasks[i].phase == .atDatabase && tasks[i].server == here {
            let t = TaskID(i)
            if tasks[t].failure == .ok { tasks[t].failure = .failed }
            queryAnswered(t)
        }
        if hasHosts, serverMachine[d][s] >= 0 { purgeMachine(Int(serverMachine[d][s])) }
        if wasPrimary, let after = databases[d].failoverAfter {
            events.schedule(after: after, EventKind.failover.payload(d))
        }
    }

    /// Promotes a replica if the primary is still down (see ``ReplicaSet/failover(at:)``).
    func failover(database d: Int) { databases[d].failover(at: events.now) }
}
