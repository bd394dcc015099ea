#!/usr/bin/env node
// The CommonJS build of each workspace whose `exports` has a `require` condition, written beside its ESM build.
//
//   node scripts/packages/build-cjs.mjs [PACKAGE_DIR...]     (default: every workspace; run after `tsc -b`)
//   node scripts/packages/build-cjs.mjs --clean [PACKAGE_DIR...]
//
// Why a transpile rather than a second `tsc -b` project: the sources are type-checked once, by the ESM build, and
// `isolatedModules` (tsconfig.base.json) guarantees that each file compiles on its own to the same program; so each
// src/**/*.ts goes through TypeScript's own `transpileModule` with `module: commonjs`, which takes a fraction of a
// second. The declarations are the ESM build's, copied: a `package.json` saying `"type": "commonjs"` in the output
// directory makes Node run its .js files, and TypeScript read its .d.ts files, as CommonJS.
//
// `import.meta.url` has no CommonJS form: it becomes the file URL of the CommonJS module itself. The output directory
// must therefore sit at the same depth as the ESM one (dist-cjs/ beside dist/, both beside src/), so that a URL such
// as `new URL('../generated/x.json', import.meta.url)` names the same file from src/, dist/ and dist-cjs/.
// Any other `import.meta`, and dynamic `import()` (which would silently become `require()`), stop the build.
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** The `default` targets of every `require` condition in an `exports` map. */
export function requireTargets(exports) {
  const out = [];
  const walk = (node, underRequire) => {
    if (typeof node === 'string') {
      if (underRequire) out.push(node);
      return;
    }
    if (node === null || typeof node !== 'object') return;
    for (const [key, value] of Object.entries(node)) {
      if (key === 'types') continue;
      walk(value, underRequire || key === 'require');
    }
  };
  walk(exports, false);
  return out;
}

/** Where a package's ESM build and its CommonJS build live, or undefined when it has no `require` condition. */
export function cjsLayout(packageDir) {
  const pkg = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8'));
  const targets = requireTargets(pkg.exports ?? {});
  if (targets.length === 0) return undefined;
  const dirs = new Set(targets.map((t) => t.replace(/^\.\//, '').split('/')[0]));
  if (dirs.size !== 1) throw new Error(`${pkg.name}: every require target must be in one directory: ${[...dirs]}`);
  const tsconfig = ts.getParsedCommandLineOfConfigFile(
    join(packageDir, 'tsconfig.json'),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      },
    },
  );
  const { rootDir, outDir } = tsconfig.options;
  const cjsDir = resolve(packageDir, [...dirs][0]);
  if (!rootDir || !outDir) throw new Error(`${pkg.name}: tsconfig.json needs rootDir and outDir`);
  if (dirname(cjsDir) !== dirname(outDir) || dirname(rootDir) !== dirname(outDir)) {
    throw new Error(`${pkg.name}: ${relative(packageDir, cjsDir)}/ must sit beside ${relative(packageDir, outDir)}/`);
  }
  return { name: pkg.name, rootDir, esmDir: outDir, cjsDir, options: tsconfig.options };
}

function filesUnder(dir, keep) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && keep(e.name))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

/**
 * `import.meta.url` as CommonJS: one module-level constant holding `pathToFileURL(__filename).href`, declared before
 * anything else runs (a `require` named inside a function, as kafkajs-fixes.ts has, cannot shadow it there).
 * Anything else that has no CommonJS form is an error.
 */
function commonJsMeta(file) {
  return (context) => (sourceFile) => {
    const f = context.factory;
    let url;
    const fail = (node, what) => {
      const { line } = sourceFile.getLineAndCharacterOfPosition(node.getStart(sourceFile));
      throw new Error(`${relative(root, file)}:${line + 1}: ${what} has no CommonJS form`);
    };
    const visit = (node) => {
      if (
        ts.isPropertyAccessExpression(node) &&
        ts.isMetaProperty(node.expression) &&
        node.expression.keywordToken === ts.SyntaxKind.ImportKeyword
      ) {
        if (node.name.text !== 'url') fail(node, `import.meta.${node.name.text}`);
        url ??= f.createUniqueName('import_meta_url');
        return url;
      }
      if (ts.isMetaProperty(node) && node.keywordToken === ts.SyntaxKind.ImportKeyword) fail(node, 'import.meta');
      if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) fail(node, 'import()');
      return ts.visitEachChild(node, visit, context);
    };
    const visited = ts.visitNode(sourceFile, visit);
    if (!url) return visited;
    // const import_meta_url = require('node:url').pathToFileURL(__filename).href;
    const nodeUrl = f.createCallExpression(f.createIdentifier('require'), undefined, [
      f.createStringLiteral('node:url'),
    ]);
    const href = f.createPropertyAccessExpression(
      f.createCallExpression(f.createPropertyAccessExpression(nodeUrl, 'pathToFileURL'), undefined, [
        f.createIdentifier('__filename'),
      ]),
      'href',
    );
    const declaration = f.createVariableStatement(
      undefined,
      f.createVariableDeclarationList(
        [f.createVariableDeclaration(url, undefined, undefined, href)],
        ts.NodeFlags.Const,
      ),
    );
    return f.updateSourceFile(visited, [declaration, ...visited.statements]);
  };
}

/** Builds `layout.cjsDir` from the sources and the ESM build's declarations; returns the files written. */
export function buildCjs(layout) {
  const { rootDir, esmDir, cjsDir } = layout;
  if (!existsSync(esmDir)) throw new Error(`${layout.name}: ${esmDir} is missing: run tsc -b first`);
  rmSync(cjsDir, { recursive: true, force: true });
  const compilerOptions = {
    ...layout.options,
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    verbatimModuleSyntax: false,
    esModuleInterop: true,
    composite: false,
    declaration: false,
    declarationMap: false,
    sourceMap: true,
    inlineSources: false,
  };
  const written = [];
  const write = (path, text) => {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
    written.push(path);
  };
  const other = filesUnder(rootDir, (n) => /\.[cm]ts$/.test(n));
  if (other.length > 0) throw new Error(`${layout.name}: .mts/.cts sources are not built for CommonJS: ${other}`);
  for (const source of filesUnder(rootDir, (n) => n.endsWith('.ts') && !n.endsWith('.d.ts'))) {
    const out = join(cjsDir, relative(rootDir, source)).replace(/\.ts$/, '.js');
    const result = ts.transpileModule(readFileSync(source, 'utf8'), {
      compilerOptions,
      fileName: source,
      reportDiagnostics: true,
      transformers: { before: [commonJsMeta(source)] },
    });
    const errors = (result.diagnostics ?? []).filter((d) => d.category === ts.DiagnosticCategory.Error);
    if (errors.length > 0) {
      throw new Error(errors.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n')).join('\n'));
    }
    const map = JSON.parse(result.sourceMapText);
    map.file = basename(out);
    map.sources = [relative(dirname(out), source)];
    const code = result.outputText.replace(/\/\/# sourceMappingURL=.*\s*$/, '');
    write(out, `${code}//# sourceMappingURL=${basename(out)}.map\n`);
    write(`${out}.map`, JSON.stringify(map));
  }
  // The ESM build's declarations serve both: the CommonJS copy is read as CommonJS because of the package.json below,
  // and its relative imports and map sources (../src/...) resolve the same from the sibling directory.
  for (const declaration of filesUnder(esmDir, (n) => /\.d\.ts(\.map)?$/.test(n))) {
    const target = join(cjsDir, relative(esmDir, declaration));
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(declaration, target);
    written.push(target);
  }
  write(join(cjsDir, 'package.json'), `${JSON.stringify({ type: 'commonjs' }, null, 2)}\n`);
  return written;
}

function workspaces() {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  return pkg.workspaces.map((w) => join(root, w));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const clean = args.includes('--clean');
  const dirs = args.filter((a) => a !== '--clean').map((a) => resolve(a));
  for (const dir of dirs.length > 0 ? dirs : workspaces()) {
    const layout = cjsLayout(dir);
    if (!layout) continue;
    if (clean) {
      rmSync(layout.cjsDir, { recursive: true, force: true });
      continue;
    }
    const started = Date.now();
    const written = buildCjs(layout);
    const modules = written.filter((f) => f.endsWith('.js')).length;
    console.log(
      `build-cjs: ${layout.name}: ${modules} modules in ${relative(root, layout.cjsDir)} (${Date.now() - started} ms)`,
    );
  }
}
