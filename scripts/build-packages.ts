/**
 * Builds the packages a plugin author installs, `@trackbridge/sdk` and `@trackbridge/testing`, from
 * the repository's sources into `packages/<name>/dist`: one ESM bundle (esbuild, the package's own
 * dependencies left external) and one rolled-up `index.d.ts` (api-extractor), whose API report in
 * `packages/<name>/etc/` pins the public surface.
 *
 *   npx tsx scripts/build-packages.ts           build, and rewrite the API reports when the surface changed
 *   npx tsx scripts/build-packages.ts --check   build, and fail when a surface changed without its report (CI)
 */
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Extractor, ExtractorConfig, ExtractorLogLevel, type ExtractorMessage } from '@microsoft/api-extractor';
import { build, type Metafile } from 'esbuild';
import ts from 'typescript';

const root = fileURLToPath(new URL('..', import.meta.url));

export interface PackageSpec {
  /** Folder under packages/. */
  folder: string;
  /** The source entry, relative to the repository. */
  entry: string;
}

export const packageSpecs: readonly PackageSpec[] = [
  { folder: 'sdk', entry: 'sdk/index.ts' },
  { folder: 'testing', entry: 'testing/index.ts' },
];

export interface BuiltPackage {
  name: string;
  dir: string;
  metafile: Metafile;
  /** Packages the bundle imports at run time (node: built-ins aside). */
  externalImports: string[];
  /** False when `--check` found the public surface changed without its report being updated. */
  reportCurrent: boolean;
  /** What api-extractor reported (warnings and errors), one line each. */
  messages: string[];
}

interface PackageJson {
  name: string;
  version: string;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

const readJson = (file: string): PackageJson => JSON.parse(readFileSync(file, 'utf8')) as PackageJson;

/** The package a bare specifier names: `zod/v4` → `zod`, `@scope/x/y` → `@scope/x`. */
const packageOf = (specifier: string) => specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/');

/** Builds every package; `check` leaves the reports alone and reports a changed surface as not current. */
export async function buildPackages(options: { check?: boolean } = {}): Promise<BuiltPackage[]> {
  const sdkVersion = await import('../sdk/index').then((m) => m.SDK_VERSION);
  if (!existsSync(join(root, 'node_modules/@trackbridge/sdk/package.json'))) {
    throw new Error('node_modules/@trackbridge/sdk is missing: run `npm install` at the repository root, which links the workspace packages');
  }
  const declarations = mkdtempSync(join(tmpdir(), 'trackbridge-dts-'));
  try {
    emitDeclarations(packageSpecs.map((p) => join(root, p.entry)), declarations);
    const built: BuiltPackage[] = [];
    for (const spec of packageSpecs) {
      const dir = join(root, 'packages', spec.folder);
      const manifest = readJson(join(dir, 'package.json'));
      if (manifest.version !== sdkVersion) throw new Error(`${manifest.name} is version ${manifest.version} but SDK_VERSION is ${sdkVersion}: keep them equal`);
      rmSync(join(dir, 'dist'), { recursive: true, force: true });
      const { metafile, externalImports } = await bundle(spec, dir, manifest);
      const api = rollUpTypes(spec, dir, declarations, options.check ?? false);
      if (existsSync(join(root, 'LICENSE'))) copyFileSync(join(root, 'LICENSE'), join(dir, 'LICENSE'));
      built.push({ name: manifest.name, dir, metafile, externalImports, ...api });
    }
    return built;
  } finally {
    rmSync(declarations, { recursive: true, force: true });
  }
}

async function bundle(spec: PackageSpec, dir: string, manifest: PackageJson) {
  const declared = [...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.peerDependencies ?? {})];
  const result = await build({
    absWorkingDir: root,
    entryPoints: [spec.entry],
    outfile: join(dir, 'dist/index.js'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // Only what the package declares stays a run-time import; anything else is either bundled from
    // source or, for a package it does not declare, caught below.
    external: declared.flatMap((name) => [name, `${name}/*`]),
    metafile: true,
    sourcemap: false,
    legalComments: 'inline',
    logLevel: 'silent',
  });
  const output = Object.values(result.metafile.outputs)[0];
  const externalImports = [...new Set((output?.imports ?? []).filter((i) => i.external && !i.path.startsWith('node:')).map((i) => packageOf(i.path)))].sort();
  const undeclared = externalImports.filter((name) => !declared.includes(name));
  if (undeclared.length) throw new Error(`${manifest.name}: the bundle imports ${undeclared.join(', ')}, which its package.json does not declare`);
  return { metafile: result.metafile, externalImports };
}

/** `.d.ts` for the entries and everything they reach, as the repository's tsconfig sees them. */
function emitDeclarations(entries: string[], outDir: string): void {
  const configFile = ts.readConfigFile(join(root, 'tsconfig.json'), (file) => ts.sys.readFile(file));
  if (configFile.error) throw new Error(ts.flattenDiagnosticMessageText(configFile.error.messageText, '\n'));
  const parsed = ts.parseJsonConfigFileContent(configFile.config, ts.sys, root);
  const program = ts.createProgram(entries, {
    ...parsed.options,
    noEmit: false,
    declaration: true,
    emitDeclarationOnly: true,
    rootDir: root,
    outDir,
  });
  const { diagnostics } = program.emit();
  const errors = [...ts.getPreEmitDiagnostics(program), ...diagnostics].filter((d) => d.category === ts.DiagnosticCategory.Error);
  if (errors.length) {
    const host: ts.FormatDiagnosticsHost = { getCanonicalFileName: (f) => f, getCurrentDirectory: () => root, getNewLine: () => '\n' };
    throw new Error(`declarations failed:\n${ts.formatDiagnostics(errors, host)}`);
  }
}

function rollUpTypes(spec: PackageSpec, dir: string, declarations: string, check: boolean): Pick<BuiltPackage, 'reportCurrent' | 'messages'> {
  const entry = join(declarations, spec.entry.replace(/\.ts$/, '.d.ts'));
  const config = ExtractorConfig.prepare({
    configObjectFullPath: undefined,
    packageJsonFullPath: join(dir, 'package.json'),
    configObject: {
      projectFolder: dir,
      mainEntryPointFilePath: entry,
      // No `paths`: the kit's declarations import the SDK by its package name, which must resolve
      // through node_modules (the workspace link to packages/sdk) for api-extractor to keep it an import.
      compiler: {
        overrideTsconfig: {
          compilerOptions: { target: 'ES2022', module: 'ESNext', moduleResolution: 'Bundler', strict: true, skipLibCheck: true, types: ['node'] },
          files: [entry],
        },
      },
      apiReport: {
        enabled: true,
        reportFolder: join(dir, 'etc'),
        reportTempFolder: join(declarations, 'report', spec.folder),
        includeForgottenExports: true,
      },
      dtsRollup: { enabled: true, untrimmedFilePath: join(dir, 'dist/index.d.ts') },
      docModel: { enabled: false },
      tsdocMetadata: { enabled: false },
      messages: {
        compilerMessageReporting: { default: { logLevel: ExtractorLogLevel.Warning } },
        extractorMessageReporting: {
          default: { logLevel: ExtractorLogLevel.Warning },
          // Release tags (@public, @beta) are not how this project versions: SDK_VERSION and semver are.
          'ae-missing-release-tag': { logLevel: ExtractorLogLevel.None },
          // A type the surface reaches without exporting it is still pinned (`includeForgottenExports`);
          // the message itself would quote the temporary folder's name into the report.
          'ae-forgotten-export': { logLevel: ExtractorLogLevel.None, addToApiReportFile: false },
          // One line of doc per exported function is the house rule, not one per member.
          'ae-undocumented': { logLevel: ExtractorLogLevel.None },
        },
        // Our doc comments are prose that names packages (`@trackbridge/sdk`), not TSDoc tags.
        tsdocMessageReporting: { default: { logLevel: ExtractorLogLevel.None } },
      },
    },
  });
  const messages: string[] = [];
  const result = Extractor.invoke(config, {
    localBuild: !check,
    messageCallback: (message: ExtractorMessage) => {
      if (message.logLevel === ExtractorLogLevel.Warning || message.logLevel === ExtractorLogLevel.Error) {
        const at = message.sourceFilePath ? `${relative(root, message.sourceFilePath)}:${message.sourceFileLine ?? 0}: ` : '';
        messages.push(`${message.logLevel} ${message.messageId}: ${at}${message.text}`);
      }
      message.handled = true;
    },
  });
  const reportCurrent = !(check && result.apiReportChanged);
  if (!result.succeeded && reportCurrent) throw new Error(`api-extractor failed for ${spec.folder}:\n${messages.join('\n')}`);
  return { reportCurrent, messages };
}

if (resolve(process.argv[1] ?? '') === fileURLToPath(import.meta.url)) {
  const check = process.argv.includes('--check');
  const built = await buildPackages({ check });
  for (const pkg of built) {
    console.log(`${pkg.name}: ${relative(root, pkg.dir)}/dist (run-time imports: ${pkg.externalImports.join(', ') || 'none'})`);
    for (const line of pkg.messages) console.log(`  ${line}`);
  }
  const stale = built.filter((pkg) => !pkg.reportCurrent);
  if (stale.length) {
    console.error(`The public surface of ${stale.map((p) => p.name).join(', ')} changed without its API report. Run \`npx tsx scripts/build-packages.ts\`, review the diff of packages/*/etc/*.api.md and commit it (a removal or a changed signature is a major version).`);
    process.exitCode = 1;
  }
}
