declare module 'textile-js' {
  interface TextileOptions { breaks?: boolean }
  interface Textile { convert(source: string, options?: TextileOptions): string }
  const textile: Textile;
  export default textile;
}
