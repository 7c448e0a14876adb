// The peers' own software, installed on demand into bench/peers/.tools/ (ignored by git): never a
// dependency of the project, so that CI and `npm ci` do without them.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const TOOLS_DIRECTORY = fileURLToPath(new URL('.tools/', import.meta.url));

/** Exact versions: the comparison is with these releases. */
export const PEER_PACKAGES = {
  tailcall: '@tailcallhq/core-linux-x64-gnu@1.6.14',
  hiveGateway: '@graphql-hive/gateway@2.15.1',
  meshCompose: '@graphql-mesh/compose-cli@1.8.2',
  jsonSchemaSource: '@omnigraph/json-schema@0.112.4',
} as const;

const TAILCALL_BINARY = `${TOOLS_DIRECTORY}node_modules/@tailcallhq/core-linux-x64-gnu/bin/tailcall`;
export const HIVE_GATEWAY_BIN = `${TOOLS_DIRECTORY}node_modules/.bin/hive-gateway`;
export const MESH_COMPOSE_BIN = `${TOOLS_DIRECTORY}node_modules/.bin/mesh-compose`;

function installedVersion(packageName: string): string | undefined {
  const manifest = `${TOOLS_DIRECTORY}node_modules/${packageName}/package.json`;
  // Tailcall's binary packages spell theirs `v1.6.14`.
  return existsSync(manifest) ? (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version.replace(/^v/, '') : undefined;
}

/** Installs whichever of the peers' packages is missing or at another version (npm, --no-save). */
export function ensurePeerPackages(): void {
  const missing = Object.values(PEER_PACKAGES).filter((spec) => {
    const at = spec.lastIndexOf('@');
    return installedVersion(spec.slice(0, at)) !== spec.slice(at + 1);
  });
  if (missing.length === 0) return;
  mkdirSync(TOOLS_DIRECTORY, { recursive: true });
  console.log(`installing into ${TOOLS_DIRECTORY}: ${missing.join(' ')}`);
  execFileSync('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--loglevel=error', '--prefix', TOOLS_DIRECTORY, ...Object.values(PEER_PACKAGES)], { stdio: 'inherit' });
}

/** How to run the Tailcall binary on this machine: the command and any env it needs. */
export interface TailcallCommand {
  command: string;
  env: Record<string, string>;
  /** what had to be done to run it here, if anything */
  note?: string;
}

/**
 * The Tailcall 1.6.14 binary is linked against glibc 2.39, but asks of 2.38 and 2.39 only
 * `__isoc23_strtol` (C23 strtol, which also reads `0b` prefixes: never given here) and two weak
 * pidfd functions that Rust's std looks up at run time and does without. On an older glibc
 * (Debian 12 has 2.36) we run a copy whose requirements of those two versions are marked weak,
 * with a one-function shim (built with the C compiler) preloaded that supplies `__isoc23_strtol`.
 */
export function tailcallCommand(): TailcallCommand {
  const probe = spawnSync(TAILCALL_BINARY, ['--version'], { encoding: 'utf8' });
  if (probe.status === 0) return { command: TAILCALL_BINARY, env: {} };
  if (!/GLIBC_2\.3[89]/.test(probe.stderr)) throw new Error(`tailcall --version failed: ${probe.stderr || probe.error?.message}`);
  const compat = `${TOOLS_DIRECTORY}tailcall-compat/`;
  const binary = `${compat}tailcall`;
  const shim = `${compat}libisoc23.so`;
  if (!existsSync(binary) || !existsSync(shim)) {
    mkdirSync(compat, { recursive: true });
    writeFileSync(binary, weakenGlibcVersionNeeds(readFileSync(TAILCALL_BINARY), /^GLIBC_2\.(3[89]|[4-9]\d)$/));
    chmodSync(binary, 0o755);
    writeFileSync(
      `${compat}isoc23.c`,
      '#include <stdlib.h>\nlong isoc23_strtol(const char *s, char **end, int base) { return strtol(s, end, base); }\n' +
        '__asm__(".symver isoc23_strtol,__isoc23_strtol@@GLIBC_2.38");\n',
    );
    writeFileSync(`${compat}isoc23.map`, 'GLIBC_2.38 { global: __isoc23_strtol; };\n');
    execFileSync('cc', ['-shared', '-fPIC', '-O2', '-o', shim, `${compat}isoc23.c`, `-Wl,--version-script=${compat}isoc23.map`], { stdio: 'inherit' });
  }
  const env = { LD_PRELOAD: shim };
  const check = spawnSync(binary, ['--version'], { encoding: 'utf8', env: { ...process.env, ...env } });
  if (check.status !== 0) throw new Error(`the glibc-compatible tailcall copy does not run either: ${check.stderr}`);
  return { command: binary, env, note: `glibc ${glibcVersion()}: ran a copy with GLIBC_2.38/2.39 needs marked weak and __isoc23_strtol preloaded` };
}

function glibcVersion(): string {
  const header = (process.report.getReport() as { header?: { glibcVersionRuntime?: string } }).header;
  return header?.glibcVersionRuntime ?? 'unknown';
}

/** Sets VER_FLG_WEAK on the ELF64 version needs whose names match: the loader then only warns when they are missing. */
function weakenGlibcVersionNeeds(elf: Buffer, versions: RegExp): Buffer {
  const VER_FLG_WEAK = 0x2;
  const SHT_GNU_VERNEED = 0x6ffffffe;
  const sectionTable = Number(elf.readBigUInt64LE(0x28));
  const sectionSize = elf.readUInt16LE(0x3a);
  const sectionCount = elf.readUInt16LE(0x3c);
  const section = (index: number) => {
    const at = sectionTable + index * sectionSize;
    return { type: elf.readUInt32LE(at + 4), offset: Number(elf.readBigUInt64LE(at + 0x18)), link: elf.readUInt32LE(at + 0x28), info: elf.readUInt32LE(at + 0x2c) };
  };
  const sections = Array.from({ length: sectionCount }, (_unused, index) => section(index));
  const needs = sections.find((candidate) => candidate.type === SHT_GNU_VERNEED);
  if (!needs) throw new Error('tailcall has no version needs section');
  const strings = sections[needs.link];
  if (!strings) throw new Error('tailcall version needs name no string table');
  const name = (offset: number) => {
    const start = strings.offset + offset;
    return elf.toString('latin1', start, elf.indexOf(0, start));
  };
  let need = needs.offset;
  for (let file = 0; file < needs.info; file++) {
    let aux = need + elf.readUInt32LE(need + 8);
    for (let entry = 0; entry < elf.readUInt16LE(need + 2); entry++) {
      if (versions.test(name(elf.readUInt32LE(aux + 8)))) elf.writeUInt16LE(elf.readUInt16LE(aux + 4) | VER_FLG_WEAK, aux + 4);
      aux += elf.readUInt32LE(aux + 12);
    }
    need += elf.readUInt32LE(need + 12);
  }
  return elf;
}
