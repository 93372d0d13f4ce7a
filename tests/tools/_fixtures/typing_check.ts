/**
 * Type-level checks of generated service modules, run through `deno check` by
 * tests/tools/proto_gen_test.ts: the valid uses must compile, and every line
 * after a `@ts-expect-error` must not (the test also checks the file with those
 * directives removed and counts one error per directive). Never executed.
 *
 * @module
 */

import type { Effect, Stream } from "effect";
import {
  implement,
  makeClient,
  makeInMemoryTransport,
  makeServer,
  type RpcError,
} from "../../../rpc/mod.ts";
import {
  Greeter,
  type GreeterClient,
  type GreeterHandlers,
  HelloReply,
  type IHelloRequest,
} from "../../../examples/generated/greeter.ts";
import {
  type IShopCommonItem,
  Money,
  Order,
  OrderService,
  type ShopV1Item,
} from "./generated/order_service.ts";

declare const effect: typeof import("effect").Effect;
declare const stream: typeof import("effect").Stream;

// Valid uses: the client takes the request's fields and returns the decoded reply class.
const client: GreeterClient = makeClient(Greeter, makeInMemoryTransport(makeServer([])));
const reply: Effect.Effect<HelloReply, RpcError> = client.SayHello({ name: "Ada" });
const replies: Stream.Stream<HelloReply, RpcError> = client.SayHelloStream({});
const request: IHelloRequest = { name: null };
const handlers: GreeterHandlers = {
  SayHello: (req, ctx) =>
    effect.succeed(HelloReply.create({ message: `${req.name ?? ctx.authority}` })),
};
implement(Greeter, handlers);
const orders = makeClient(OrderService, makeInMemoryTransport(makeServer([])));
const order: Effect.Effect<Order, RpcError> = orders.GetOrder({ id: "o-1" });
const total: Effect.Effect<Money, RpcError> = orders.Total(
  stream.make({ sku: "a", quantity: 2, unitPrice: { currency: "EUR", minorUnits: 5 } }),
);
const lines: Stream.Stream<ShopV1Item, RpcError> = orders.Lines(stream.make({ sku: "b" }));
implement(OrderService, {
  GetOrder: (req) => effect.succeed(Order.create({ id: req.id ?? "", state: 1, gift: true })),
  Total: () => effect.succeed(Money.create({ currency: "EUR", minorUnits: 10 })),
});
export { lines, order, replies, reply, request, total };

// A misspelt request field.
// @ts-expect-error `nmae` is not a field of helloworld.HelloRequest
client.SayHello({ nmae: "Ada" });
// A request field of the wrong type.
// @ts-expect-error `name` is a string
client.SayHello({ name: 42 });
// The reply's fields are the message's.
// @ts-expect-error `text` is not a field of helloworld.HelloReply
effect.map(client.SayHello({}), (r) => r.text);
// A handler reading a field the request does not have.
// @ts-expect-error `nme` is not a field of helloworld.HelloRequest
implement(Greeter, { SayHello: (req) => effect.succeed(HelloReply.create({ message: req.nme })) });
// A handler building a reply with a misspelt field.
// @ts-expect-error `mesage` is not a field of helloworld.HelloReply
implement(Greeter, { SayHello: () => effect.succeed(HelloReply.create({ mesage: "hi" })) });
// A handler answering with another message type.
// @ts-expect-error Money is not a HelloReply
implement(Greeter, { SayHello: () => effect.succeed(Money.create({ currency: "EUR" })) });
// A handler for a method the service does not have.
// @ts-expect-error Greeter has no method SayGoodbye
implement(Greeter, { SayGoodbye: () => effect.succeed(HelloReply.create({})) });
// A unary method called with a stream.
// @ts-expect-error GetOrder takes one request
orders.GetOrder(stream.make({ id: "o-1" }));
// A client-streaming method called with one request.
// @ts-expect-error Total takes a stream of shop.v1.Item
orders.Total({ sku: "a" });
// The two `Item` messages are distinct types: a nested message field from the wrong one.
// @ts-expect-error shop.common.Item has no `quantity`
const wrongItem: IShopCommonItem = { sku: "a", quantity: 1 };
export { wrongItem };
