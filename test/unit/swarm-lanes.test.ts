// The lane rule (how many connections a fetch stripes over to one peer) and its controller,
// with a scripted node instead of a swarm.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { LaneController, laneWindowMs, nextLaneStep, type LaneState } from '../../src/swarm/lanes.ts'
import { LANE_EARLY_MIN_BLOCKS, LANE_WINDOW_MAX_MS, LANE_WINDOW_MIN_MS, MAX_LANES } from '../../src/swarm/constants.ts'

test('lanes: the first delivering lane is always followed by a second', () => {
  assert.equal(nextLaneStep(undefined, { lanes: 1, rate: 5 }), 'add')
  assert.equal(nextLaneStep(undefined, { lanes: 1, rate: 0 }), 'add')
})

test('lanes: another lane while the last one raised the rate by 15% or more, else stop', () => {
  assert.equal(nextLaneStep({ lanes: 1, rate: 100 }, { lanes: 2, rate: 115 }), 'add')
  assert.equal(nextLaneStep({ lanes: 1, rate: 100 }, { lanes: 2, rate: 190 }), 'add')
  assert.equal(nextLaneStep({ lanes: 1, rate: 100 }, { lanes: 2, rate: 114 }), 'stop')
  assert.equal(nextLaneStep({ lanes: 2, rate: 100 }, { lanes: 3, rate: 90 }), 'stop')
})

test('lanes: never beyond the maximum, and a lane lost meanwhile stops the growth', () => {
  assert.equal(MAX_LANES, 4)
  assert.equal(nextLaneStep({ lanes: 3, rate: 100 }, { lanes: 4, rate: 400 }), 'stop')
  assert.equal(nextLaneStep({ lanes: 1, rate: 100 }, { lanes: 2, rate: 400 }, 2), 'stop')
  assert.equal(nextLaneStep(undefined, { lanes: 1, rate: 100 }, 1), 'stop')
  assert.equal(nextLaneStep({ lanes: 2, rate: 100 }, { lanes: 2, rate: 400 }), 'stop')
  assert.equal(nextLaneStep({ lanes: 2, rate: 100 }, { lanes: 1, rate: 400 }), 'stop')
})

test('lanes: the window is a few round trips, within bounds', () => {
  assert.equal(laneWindowMs(Infinity), LANE_WINDOW_MIN_MS)
  assert.equal(laneWindowMs(0.5), LANE_WINDOW_MIN_MS)
  assert.equal(laneWindowMs(700), 2800)
  assert.equal(laneWindowMs(60_000), LANE_WINDOW_MAX_MS)
})

/** A node whose rate is `perLane(lanes)` bytes per ms; each dialed lane delivers at once. */
function scriptedNode (perLane: (lanes: number) => number, opts: { failDialAt?: number, missing?: number, delivering?: number } = {}) {
  const state: LaneState = { lanes: 1, delivering: opts.delivering ?? 1, received: 0, minRttMs: 1, useful: true, missing: opts.missing ?? 1 }
  let last = performance.now()
  const host = {
    laneState: (): LaneState | undefined => {
      const now = performance.now()
      state.received += perLane(state.lanes) * (now - last)
      last = now
      return { ...state }
    }
  }
  const dials: number[] = []
  const dial = async (lane: number): Promise<void> => {
    dials.push(lane)
    if (lane === opts.failDialAt) throw new Error('circuit failed')
    host.laneState()
    state.lanes++
    state.delivering++
  }
  return { host, dial, dials, state }
}

const fast = { windowMs: () => 40 }

test('lane controller: adds lanes while they pay, up to the maximum', async () => {
  const n = scriptedNode(lanes => lanes * 100)
  const c = new LaneController(n.host, 'x', n.dial, fast)
  await c.done
  assert.deepEqual(n.dials, [1, 2, 3])
  assert.equal(n.state.lanes, MAX_LANES)
  assert.equal(c.opened, 3)
})

test('lane controller: stops at the lane that gave no gain', async () => {
  const n = scriptedNode(lanes => Math.min(lanes, 2) * 100)
  const c = new LaneController(n.host, 'x', n.dial, fast)
  await c.done
  assert.deepEqual(n.dials, [1, 2], 'lane 2 doubled the rate, lane 3 added nothing: no lane 4')
  assert.equal(c.samples.at(-1)!.lanes, 3)
})

test('lane controller: a failed dial ends it; a node with nothing to give gets no second lane', async () => {
  const failing = scriptedNode(lanes => lanes * 100, { failDialAt: 2 })
  await new LaneController(failing.host, 'x', failing.dial, fast).done
  assert.deepEqual(failing.dials, [1, 2])
  assert.equal(failing.state.lanes, 2)

  const idle = scriptedNode(lanes => lanes * 100)
  idle.state.useful = false
  const c = new LaneController(idle.host, 'x', idle.dial, fast)
  await new Promise(resolve => setTimeout(resolve, 200))
  assert.deepEqual(idle.dials, [])
  c.stop()
  await c.done
})

test('lane controller: a fetch missing many blocks dials its second lane before the first delivers', async () => {
  // Nothing delivered yet (the first lane's pipeline still filling), a large fetch ahead.
  const n = scriptedNode(lanes => Math.min(lanes, 2) * 100, { missing: LANE_EARLY_MIN_BLOCKS, delivering: 0 })
  const c = new LaneController(n.host, 'x', n.dial, fast)
  for (let i = 0; i < 40 && n.dials.length === 0; i++) await new Promise(resolve => setTimeout(resolve, 5))
  assert.deepEqual(n.dials, [1], 'the second lane was dialed with no block delivered')
  assert.equal(c.samples.length, 0, 'before any rate was measured')
  n.state.delivering = n.state.lanes // both lanes deliver now
  await c.done
  assert.deepEqual(n.dials, [1, 2], 'then the measured ladder: lane 3 added nothing, so no lane 4')
  assert.equal(c.samples[0]!.lanes, 2)
})

test('lane controller: a small fetch waits for its first lane to deliver before a second', async () => {
  const n = scriptedNode(lanes => lanes * 100, { missing: LANE_EARLY_MIN_BLOCKS - 1, delivering: 0 })
  const c = new LaneController(n.host, 'x', n.dial, fast)
  await new Promise(resolve => setTimeout(resolve, 150))
  assert.deepEqual(n.dials, [], 'no lane before a block')
  n.state.delivering = 1
  for (let i = 0; i < 100 && n.dials.length === 0; i++) await new Promise(resolve => setTimeout(resolve, 5))
  assert.deepEqual(n.dials, [1])
  c.stop()
  await c.done
})
