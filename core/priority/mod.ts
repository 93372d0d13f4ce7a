/**
 * Who sends next: the connection's send scheduler.
 *
 * {@link PriorityScheduler} is what a connection owns. It runs the RFC 9218
 * extensible priorities ({@link UrgencyScheduler}: urgency 0–7, incremental
 * flag, `priority` header, PRIORITY_UPDATE, server override) or, for peers that
 * still use them, the RFC 7540 dependency tree ({@link DependencyTree}),
 * chosen by SETTINGS_NO_RFC7540_PRIORITIES (RFC 9218 §2.1). All of them
 * implement {@link SendScheduler}: pure data structures over stream ids that
 * skip blocked streams without looking at them and decide in O(log n).
 *
 * @module
 */

export type { PrioritySpec } from "../frame/priority_spec.ts";
export * from "./priority_params.ts";
export * from "./priority_field.ts";
export * from "./send_scheduler.ts";
export * from "./urgency_scheduler.ts";
export * from "./dependency_tree.ts";
export * from "./priority_scheduler.ts";
