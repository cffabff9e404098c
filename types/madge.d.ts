// madge ships no types: the part of its API (README "API") that test/config/layout.test.ts uses.
declare module "madge" {
    interface MadgeConfig {
        baseDir?: string
        fileExtensions?: string[]
        excludeRegExp?: RegExp[]
        includeNpm?: boolean
        tsConfig?: string | object
        detectiveOptions?: Record<string, Record<string, unknown>>
    }
    interface MadgeResult {
        /** Each file (relative to baseDir) and the files it imports. */
        obj(): Record<string, string[]>
        /** Each import cycle, as the files on it. */
        circular(): string[][]
        /** Imports that could not be resolved to a file. */
        warnings(): { skipped: string[] }
    }
    function madge(path: string | string[], config?: MadgeConfig): Promise<MadgeResult>
    export default madge
}
