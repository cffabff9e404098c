// jacdac-ts ships its types but its package "exports" do not point at them.
declare module "jacdac-ts" {
    export * from "jacdac-ts/dist/types/src/jacdac"
}
