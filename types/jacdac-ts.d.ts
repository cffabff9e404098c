// jacdac-ts ships its types, but its package "exports" do not point at them. The alias
// "jacdac-ts-types" (tsconfig paths) is only ever named here, so runtimes never resolve it.
declare module "jacdac-ts" {
    export * from "jacdac-ts-types"
}
