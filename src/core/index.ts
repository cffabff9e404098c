/** Latchkey pure core: no I/O, no clock; time is always passed in as `now` (ms). */
export * from "./policy"
export * from "./lockout"
export * from "./codes"
export * from "./ct"
export * from "./lock"
export * from "./remote"
