/**
 * The RFC 7540 dependency tree and the weighted fair scheduler over it.
 *
 * @module
 */

import { ProtocolError, UsageError } from "../errors.ts";
import type { PrioritySpec } from "../frame/priority_spec.ts";
import { type HeapItem, IndexedHeap } from "./_heap.ts";
import { isValidUrgency, type PriorityParams } from "./priority_params.ts";
import type { SendScheduler } from "./send_scheduler.ts";

/** Options for {@link DependencyTree}. */
export interface DependencyTreeOptions {
  /**
   * How many closed streams and idle placeholders (streams named only by a
   * PRIORITY frame) are kept as grouping nodes. Beyond it the oldest is dropped,
   * its weight passed to its children. This is the bound that stops a peer from
   * growing the tree without limit (CVE-2016-6580). Default 100.
   */
  readonly maxRetainedNodes?: number;
}

/** What a node in the tree stands for. */
export type DependencyNodeState = "open" | "closed" | "idle";

/** The priority a stream gets without a signal, or when its parent is unknown (RFC 9113 §5.3.5). */
export const DEFAULT_PRIORITY_SPEC: PrioritySpec = Object.freeze({
  dependency: 0,
  exclusive: false,
  weight: 16,
});

class TreeNode implements HeapItem {
  readonly id: number;
  state: DependencyNodeState;
  parent: TreeNode | undefined = undefined;
  readonly children = new Set<TreeNode>();
  weight = 16;
  ready = false;
  /** Virtual finish time among siblings: bytes charged to the subtree divided by weight. */
  key = 0;
  seq = 0;
  heapIndex = -1;
  /** Children whose subtree has a ready stream, by virtual time; created on first use. */
  heap: IndexedHeap<TreeNode> | undefined = undefined;
  /** Start tag of the child served last: where a child rejoining starts. */
  clock = 0;

  constructor(id: number, state: DependencyNodeState) {
    this.id = id;
    this.state = state;
  }
}

function byVirtualTime(a: TreeNode, b: TreeNode): boolean {
  return a.key < b.key || (a.key === b.key && a.seq < b.seq);
}

/**
 * The RFC 7540 priority tree (RFC 7540 §5.3, kept for peers that still send
 * PRIORITY frames or priority in HEADERS; RFC 9113 §5.3.2).
 *
 * Tree operations: insertion with exclusive dependencies and weights 1..256,
 * reprioritisation including under a stream's own descendant (the descendant
 * first moves to the stream's former parent, RFC 7540 §5.3.3), default priority
 * when the named parent is not in the tree (RFC 7540 §5.3.1), closed streams
 * and PRIORITY-only idle streams kept as grouping nodes, and removal of the
 * oldest of those beyond `maxRetainedNodes`, which hands its weight to its
 * children in proportion to theirs (RFC 7540 §5.3.4).
 *
 * Scheduling: a ready stream is served before any of its descendants (RFC 7540
 * §5.3.1); siblings share their parent's bandwidth in proportion to weight by
 * start-time fair queueing on a per-parent heap of the children whose subtree
 * has a ready stream. A decision walks from the root to the served stream, so it
 * costs O(depth) heap peeks; `charge` and `setReady` cost O(depth · log fan-out).
 * With the usual flat or shallow trees that is O(log n).
 *
 * @example Weights share bandwidth; a parent goes before its children
 * ```ts
 * import { DependencyTree } from "./dependency_tree.ts";
 * const t = new DependencyTree();
 * t.add(1);
 * t.add(3, { dependency: 1, exclusive: false, weight: 16 });
 * t.setReady(1, true);
 * t.setReady(3, true);
 * if (t.next() !== 1) throw new Error("the parent goes first");
 * t.setReady(1, false);
 * if (t.next() !== 3) throw new Error("then its dependant");
 * ```
 */
export class DependencyTree implements SendScheduler<PrioritySpec> {
  readonly #root = new TreeNode(0, "open");
  readonly #nodes = new Map<number, TreeNode>();
  /** Closed and idle nodes, oldest first. */
  readonly #retained = new Map<number, TreeNode>();
  readonly #maxRetained: number;
  #open = 0;
  #seq = 0;

  /**
   * Creates an empty tree (just the root, stream 0).
   *
   * @param options The bound on retained nodes.
   */
  constructor(options: DependencyTreeOptions = {}) {
    this.#maxRetained = options.maxRetainedNodes ?? 100;
  }

  /** Number of open (registered) streams. */
  get size(): number {
    return this.#open;
  }

  /** Number of nodes in the tree besides the root: open, closed and idle. */
  get nodeCount(): number {
    return this.#nodes.size;
  }

  /** Number of closed and idle nodes retained (at most `maxRetainedNodes`). */
  get retainedCount(): number {
    return this.#retained.size;
  }

  /**
   * Whether `streamId` is an open stream in the tree.
   *
   * @param streamId The stream.
   * @returns True when registered and not closed.
   */
  has(streamId: number): boolean {
    return this.#nodes.get(streamId)?.state === "open";
  }

  /**
   * Registers an opened stream, not ready, with the priority from its HEADERS
   * frame, or the default (weight 16 under the root). A stream that was already
   * placed by a PRIORITY frame while idle keeps that place unless HEADERS carries
   * a priority.
   *
   * @param streamId The stream.
   * @param priority The HEADERS priority block, if the PRIORITY flag was set.
   * @throws {ProtocolError} Stream error when the stream depends on itself (RFC 9113 §5.3.1).
   * @throws {UsageError} When the stream is already open in the tree or the weight is not 1..256.
   */
  add(streamId: number, priority?: PrioritySpec): void {
    if (priority !== undefined) checkSpec(streamId, priority);
    let node = this.#nodes.get(streamId);
    if (node?.state === "open") {
      throw new UsageError(`Cannot add stream "${streamId}": already scheduled`);
    }
    if (node === undefined) {
      node = new TreeNode(streamId, "open");
      this.#nodes.set(streamId, node);
      this.#place(node, priority ?? DEFAULT_PRIORITY_SPEC);
    } else {
      this.#retained.delete(streamId);
      node.state = "open";
      if (priority !== undefined) this.#place(node, priority);
    }
    this.#open++;
  }

  /**
   * Closes a stream: it stops being scheduled but stays in the tree as a
   * grouping node for its children until the retention bound pushes it out
   * (RFC 7540 §5.3.4). Unknown or already closed ids are ignored.
   *
   * @param streamId The stream.
   */
  remove(streamId: number): void {
    const node = this.#nodes.get(streamId);
    if (node === undefined || node.state !== "open") return;
    node.state = "closed";
    this.#open--;
    if (node.ready) {
      node.ready = false;
      this.#refresh(node);
    }
    this.#retain(node);
  }

  /**
   * Applies a PRIORITY frame (RFC 9113 §6.3, RFC 7540 §5.3.3). A stream not in
   * the tree (idle, or closed and already dropped) gets an idle placeholder node
   * that counts toward `maxRetainedNodes`.
   *
   * @param streamId The stream the frame is about.
   * @param priority The new dependency, weight and exclusive flag.
   * @throws {ProtocolError} Stream error when the stream depends on itself (RFC 9113 §5.3.1).
   * @throws {UsageError} When the weight is not 1..256.
   */
  reprioritize(streamId: number, priority: PrioritySpec): void {
    checkSpec(streamId, priority);
    const node = this.#nodes.get(streamId);
    if (node !== undefined) {
      this.#place(node, priority);
      return;
    }
    if (this.#maxRetained === 0) return;
    const idle = new TreeNode(streamId, "idle");
    this.#nodes.set(streamId, idle);
    this.#place(idle, priority);
    this.#retain(idle);
  }

  /**
   * The application's override in RFC 9218 terms (RFC 9218 §8), mapped onto the
   * tree: the stream moves under the root with weight `16 × 2^(3 − urgency)`
   * (urgency 0 → 128, 3 → 16, the default, 7 → 1). `incremental` has no
   * equivalent and is ignored, as are streams that are not open. A later
   * PRIORITY frame from the peer can move the stream again.
   *
   * @param streamId The stream.
   * @param priority The urgency to impose.
   * @throws {UsageError} When the urgency is not an integer 0..7.
   */
  setPriority(streamId: number, priority: Partial<PriorityParams>): void {
    const u = priority.urgency;
    if (u === undefined) return;
    if (!isValidUrgency(u)) {
      throw new UsageError(`Cannot set urgency "${u}": must be an integer 0..7`);
    }
    const node = this.#nodes.get(streamId);
    if (node === undefined || node.state !== "open") return;
    this.#place(node, { dependency: 0, exclusive: false, weight: urgencyWeight(u) });
  }

  /**
   * Marks an open stream ready (data and window) or not.
   *
   * @param streamId An open stream.
   * @param ready Whether it can send now.
   * @throws {UsageError} When the stream is not open in the tree.
   */
  setReady(streamId: number, ready: boolean): void {
    const node = this.#getOpen(streamId);
    if (node.ready === ready) return;
    node.ready = ready;
    this.#refresh(node);
  }

  /**
   * Whether a stream is open and ready.
   *
   * @param streamId The stream.
   * @returns True when {@link next} may pick it.
   */
  isReady(streamId: number): boolean {
    return this.#nodes.get(streamId)?.ready ?? false;
  }

  /**
   * The stream to serve next: from the root, repeatedly the child with the
   * earliest virtual time among those with something ready below, stopping at
   * the first ready stream.
   *
   * @returns The stream id, or `undefined` when nothing is ready.
   */
  next(): number | undefined {
    let n = this.#root;
    for (;;) {
      const c = n.heap?.peek();
      if (c === undefined) return undefined;
      if (c.ready) return c.id;
      n = c;
    }
  }

  /**
   * Accounts bytes sent on a stream: each node from the stream up to the root
   * advances its virtual time by `bytes / weight` among its siblings.
   *
   * @param streamId An open stream.
   * @param bytes Bytes written.
   * @throws {UsageError} When the stream is not open or `bytes` is negative.
   */
  charge(streamId: number, bytes: number): void {
    let n = this.#getOpen(streamId);
    if (!(bytes >= 0)) throw new UsageError(`Cannot charge "${bytes}" bytes: must be >= 0`);
    const root = this.#root;
    while (n !== root) {
      const p = n.parent!;
      if (n.key > p.clock) p.clock = n.key;
      n.key += bytes / n.weight;
      if (n.heapIndex >= 0) p.heap!.update(n);
      n = p;
    }
  }

  /**
   * The parent of a node.
   *
   * @param streamId A stream in the tree.
   * @returns The parent's id (0 for the root), or `undefined` when not in the tree.
   */
  parentOf(streamId: number): number | undefined {
    return this.#nodes.get(streamId)?.parent?.id;
  }

  /**
   * The weight of a node.
   *
   * @param streamId A stream in the tree.
   * @returns 1..256, or `undefined` when not in the tree.
   */
  weightOf(streamId: number): number | undefined {
    return this.#nodes.get(streamId)?.weight;
  }

  /**
   * The children of a node, in insertion order.
   *
   * @param streamId A stream in the tree, or 0 for the root.
   * @returns Their ids (empty when not in the tree).
   */
  childrenOf(streamId: number): number[] {
    const node = streamId === 0 ? this.#root : this.#nodes.get(streamId);
    return node === undefined ? [] : [...node.children].map((c) => c.id);
  }

  /**
   * What a node stands for.
   *
   * @param streamId The stream.
   * @returns `"open"`, `"closed"`, `"idle"`, or `undefined` when not in the tree.
   */
  stateOf(streamId: number): DependencyNodeState | undefined {
    return this.#nodes.get(streamId)?.state;
  }

  /**
   * Visits every open stream (for migrating to another scheme).
   *
   * @param fn Called with each stream id and whether it is ready.
   */
  forEachStream(fn: (streamId: number, ready: boolean) => void): void {
    for (const n of this.#nodes.values()) if (n.state === "open") fn(n.id, n.ready);
  }

  /**
   * Verifies the tree's invariants in O(n) and throws an `Error` naming the first
   * one broken: parent and child links agree, every node reaches the root without
   * a cycle, weights are integers 1..256, and a node is queued at its parent
   * exactly when it or a descendant is ready. For tests and diagnostics.
   */
  checkInvariants(): void {
    const root = this.#root;
    const fail = (msg: string): never => {
      throw new Error(`Dependency tree invariant broken: ${msg}`);
    };
    for (const n of [root, ...this.#nodes.values()]) {
      if (n !== root) {
        if (this.#nodes.get(n.id) !== n) fail(`node "${n.id}" not indexed`);
        if (n.parent === undefined || !n.parent.children.has(n)) fail(`node "${n.id}" detached`);
        if (!Number.isInteger(n.weight) || n.weight < 1 || n.weight > 256) {
          fail(`node "${n.id}" has weight "${n.weight}"`);
        }
        let steps = 0;
        for (let a = n.parent; a !== root; a = a!.parent) {
          if (a === undefined || a === n || ++steps > this.#nodes.size) {
            fail(`node "${n.id}" does not reach the root`);
          }
        }
        const active = n.ready || (n.heap?.size ?? 0) > 0;
        if (active !== (n.heapIndex >= 0)) fail(`node "${n.id}" queued "${!active}"`);
        if (n.ready && n.state !== "open") fail(`node "${n.id}" is ${n.state} but ready`);
      }
      for (const c of n.children) if (c.parent !== n) fail(`child "${c.id}" of "${n.id}"`);
      if (n.heap !== undefined) {
        for (const c of n.heap.values()) if (c.parent !== n) fail(`queued "${c.id}" at "${n.id}"`);
      }
    }
    let open = 0;
    for (const n of this.#nodes.values()) {
      if (n.state === "open") open++;
      else if (this.#retained.get(n.id) !== n) fail(`node "${n.id}" not in retention`);
    }
    if (open !== this.#open) fail(`open count "${this.#open}" vs "${open}"`);
    if (this.#retained.size > this.#maxRetained) fail(`retained "${this.#retained.size}"`);
  }

  #getOpen(streamId: number): TreeNode {
    const node = this.#nodes.get(streamId);
    if (node === undefined || node.state !== "open") {
      throw new UsageError(`Stream "${streamId}" is not scheduled`);
    }
    return node;
  }

  // RFC 7540 §5.3.1 and §5.3.3: put `node` under the named parent.
  #place(node: TreeNode, spec: PrioritySpec): void {
    let parent = spec.dependency === 0 ? this.#root : this.#nodes.get(spec.dependency);
    let weight = spec.weight;
    let exclusive = spec.exclusive;
    if (parent === undefined) {
      // Not in the tree (never seen, or dropped): default priority (RFC 7540 §5.3.1).
      parent = this.#root;
      weight = DEFAULT_PRIORITY_SPEC.weight;
      exclusive = false;
    }
    if (node.parent !== undefined && this.#isDescendant(parent, node)) {
      // Moving under its own descendant: the descendant first takes the
      // node's former place, keeping its weight (RFC 7540 §5.3.3).
      this.#move(parent, node.parent);
    }
    node.weight = weight;
    this.#move(node, parent);
    if (exclusive) {
      for (const c of [...parent.children]) if (c !== node) this.#move(c, node);
    }
  }

  #isDescendant(candidate: TreeNode, ancestor: TreeNode): boolean {
    for (let a = candidate.parent; a !== undefined; a = a.parent) {
      if (a === ancestor) return true;
    }
    return false;
  }

  #move(node: TreeNode, parent: TreeNode): void {
    const old = node.parent;
    if (old === parent) return;
    if (old !== undefined) {
      old.children.delete(node);
      if (node.heapIndex >= 0) {
        old.heap!.delete(node);
        this.#refresh(old);
      }
    }
    node.parent = parent;
    parent.children.add(node);
    // Virtual times only compare among siblings: start afresh at the new parent's clock.
    node.key = 0;
    this.#refresh(node);
  }

  // Makes "queued at the parent" match "something ready in this subtree",
  // walking up only as far as something changes.
  #refresh(node: TreeNode): void {
    const root = this.#root;
    let n = node;
    while (n !== root) {
      const active = n.ready || (n.heap !== undefined && n.heap.size > 0);
      if (active === n.heapIndex >= 0) return;
      const p = n.parent!;
      if (active) {
        // Time spent idle earns no credit: rejoin at the parent's clock.
        if (n.key < p.clock) n.key = p.clock;
        n.seq = ++this.#seq;
        (p.heap ??= new IndexedHeap<TreeNode>(byVirtualTime)).push(n);
      } else {
        p.heap!.delete(n);
      }
      n = p;
    }
  }

  #retain(node: TreeNode): void {
    this.#retained.set(node.id, node);
    while (this.#retained.size > this.#maxRetained) {
      this.#evict(this.#retained.values().next().value!);
    }
  }

  // Removes a closed or idle node; its children move to its parent and share
  // its weight in proportion to their own (RFC 7540 §5.3.4).
  #evict(node: TreeNode): void {
    this.#retained.delete(node.id);
    this.#nodes.delete(node.id);
    const parent = node.parent!;
    const children = [...node.children];
    const weights = redistributeWeight(node.weight, children.map((c) => c.weight));
    for (let i = 0; i < children.length; i++) {
      children[i].weight = weights[i];
      this.#move(children[i], parent);
    }
    this.#refresh(node); // no longer active: leaves the parent's queue
    parent.children.delete(node);
    node.parent = undefined;
  }
}

/**
 * Splits a removed stream's weight among its children in proportion to their
 * weights (RFC 7540 §5.3.4), conserving it exactly: every child gets at least 1,
 * and the results sum to `max(weight, children)` (largest-remainder rounding).
 *
 * @param weight The removed stream's weight, 1..256.
 * @param childWeights The children's current weights.
 * @returns The children's new weights, each 1..256, in the same order.
 */
export function redistributeWeight(weight: number, childWeights: readonly number[]): number[] {
  const k = childWeights.length;
  if (weight <= k) return new Array<number>(k).fill(1);
  let sum = 0;
  for (const w of childWeights) sum += w;
  const out: number[] = [];
  const order: number[] = [];
  let given = 0;
  for (let i = 0; i < k; i++) {
    const whole = Math.floor((weight * childWeights[i]) / sum);
    out.push(whole);
    order.push(i);
    given += whole;
  }
  // Largest remainder: leftover units go to the largest fractional parts, ties to the earlier child.
  const frac = (i: number) => (weight * childWeights[i]) / sum - out[i];
  order.sort((a, b) => frac(b) - frac(a) || a - b);
  for (let i = 0; i < weight - given; i++) out[order[i]]++;
  // Every child keeps a weight of at least 1; the units come from the largest
  // shares (the lighter child first among equals), which keeps the order of weights.
  let deficit = 0;
  for (let i = 0; i < k; i++) {
    if (out[i] === 0) {
      out[i] = 1;
      deficit++;
    }
  }
  while (deficit > 0) {
    let top = 0;
    for (let i = 1; i < k; i++) {
      if (
        out[i] > out[top] ||
        (out[i] === out[top] && childWeights[i] <= childWeights[top])
      ) top = i;
    }
    out[top]--;
    deficit--;
  }
  return out;
}

/**
 * The RFC 7540 weight that stands for an RFC 9218 urgency when the application
 * sets a priority under the tree: `16 × 2^(3 − urgency)`, so the default urgency
 * 3 is the default weight 16 and each step of urgency doubles or halves the share.
 *
 * @param urgency 0..7.
 * @returns 128, 64, 32, 16, 8, 4, 2 or 1.
 */
export function urgencyWeight(urgency: number): number {
  return 16 * 2 ** (3 - urgency);
}

function checkSpec(streamId: number, spec: PrioritySpec): void {
  if (spec.dependency === streamId) {
    throw new ProtocolError(`Stream "${streamId}" depends on itself`, {
      scope: "stream",
      streamId,
    });
  }
  if (!Number.isInteger(spec.weight) || spec.weight < 1 || spec.weight > 256) {
    throw new UsageError(`Cannot use weight "${spec.weight}": must be an integer 1..256`);
  }
}
