// esbuild bundles the page's stylesheet from `import './style.css'` (src/ui/build.ts); tsc only needs to know it exists.
declare module '*.css'
