// Finds the AWS API calls a service can make, from its source, so its IAM policy can be checked
// against them (test/deploy/iam.test.ts).
//
// What counts as "the service's code" (what runs in its pod):
//  - its entry, services/<name>/src/main.ts (the image's CMD), the modules preloaded with
//    `node --import`, and every module they import, statically, by dynamic `import()`, or as a
//    worker thread (`new URL('./thread.ts', import.meta.url)`). Tools that live beside the service
//    but run elsewhere (a CLI under src/cli run by an operator) are not reached and not counted;
//  - the workspace libs it imports (@platform/*, resolved through each package's `exports`), followed
//    symbol by symbol through barrel files: `import { createAwsClients } from '@platform/aws-resources'`
//    reaches clients.ts, not provision.ts, although index.ts re-exports both. A module that is reached
//    counts whole (any of its functions may run), and so do its own imports;
//  - third-party packages that send AWS commands themselves (they depend on an @aws-sdk/client-*
//    package, e.g. sqs-consumer's ReceiveMessage/DeleteMessage): all their files are scanned.
// What counts as a call: `new XxxCommand(...)` where XxxCommand is imported (statically, or by a
// destructured dynamic import) from @aws-sdk/client-* or @aws-sdk/lib-dynamodb, plus paginators
// (`paginateQuery` -> Query). Aggregated clients (`new SQS()`, `DynamoDBDocument`), whose methods
// cannot be told apart from any other method call, and unknown commands are reported as problems
// rather than guessed.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import path from 'node:path';
import ts from 'typescript';

export interface CommandUse {
  /** e.g. `SendMessageCommand`, `paginateQuery`. */
  command: string;
  /** The SDK package it comes from, e.g. `@aws-sdk/client-sqs`. */
  sdkPackage: string;
  /** Repository-relative file (or `node_modules/<pkg>/...`) and line. */
  file: string;
  line: number;
  /** Set when the call is made by a third-party package on the service's behalf. */
  via?: string;
  /**
   * DynamoDB Query/Scan only: whether the input literal names an `IndexName` (the call needs the
   * index ARN, `table/<name>/index/<index>`, rather than the table's). Undefined when not a literal.
   */
  readsIndex?: boolean;
}

export interface ServiceScan {
  service: string;
  /** Repository-relative paths of the modules counted as the service's code. */
  modules: string[];
  /** Third-party packages whose own AWS calls were included. */
  thirdPartySenders: string[];
  uses: CommandUse[];
  /** IAM action -> the uses that need it. */
  actions: Map<string, CommandUse[]>;
  /** Uses and imports the scanner cannot map to IAM actions; a non-empty list must fail a check. */
  problems: string[];
  /**
   * Packages imported at run time by a module of the service that its workspace does not list in
   * `dependencies`: `npm ci --omit=dev --workspace <service>` (the image) would not install them.
   */
  undeclaredImports: string[];
}

const TEST_FILE = /\.test\.[cm]?[jt]s$/;
const SOURCE_EXTENSIONS = ['.ts', '.mts', '.js', '.mjs'];
const SDK_CLIENT = /^@aws-sdk\/client-([a-z0-9-]+)$/;
const LIB_DYNAMODB = '@aws-sdk/lib-dynamodb';
/** Aggregated clients expose every operation as a method; their calls are invisible to a scan. */
const AGGREGATED_CLIENTS = new Set(['SQS', 'S3', 'DynamoDB', 'DynamoDBDocument', 'SNS', 'CloudWatch', 'STS']);

/** IAM service prefix per @aws-sdk/client-<name>. */
const IAM_PREFIX: Record<string, string> = {
  sqs: 'sqs',
  s3: 's3',
  dynamodb: 'dynamodb',
  sns: 'sns',
  cloudwatch: 'cloudwatch',
  'cloudwatch-logs': 'logs',
  sts: 'sts',
  kms: 'kms',
};

/**
 * API operations whose IAM action is not `<prefix>:<Operation>` (from the Service Authorization
 * Reference): batch variants authorise as the single action, HEAD as GET, listings as ListBucket.
 */
const ACTION_OVERRIDES: Record<string, string[]> = {
  'sqs:SendMessageBatch': ['sqs:SendMessage'],
  'sqs:DeleteMessageBatch': ['sqs:DeleteMessage'],
  'sqs:ChangeMessageVisibilityBatch': ['sqs:ChangeMessageVisibility'],
  's3:HeadObject': ['s3:GetObject'],
  's3:HeadBucket': ['s3:ListBucket'],
  's3:ListObjects': ['s3:ListBucket'],
  's3:ListObjectsV2': ['s3:ListBucket'],
  's3:DeleteObjects': ['s3:DeleteObject'],
  's3:CopyObject': ['s3:GetObject', 's3:PutObject'],
  's3:CreateMultipartUpload': ['s3:PutObject'],
  's3:UploadPart': ['s3:PutObject'],
  's3:CompleteMultipartUpload': ['s3:PutObject'],
  's3:GetObjectAttributes': ['s3:GetObject', 's3:GetObjectAttributes'],
  'sns:PublishBatch': ['sns:Publish'],
  // Transactions are authorised per item (PutItem/UpdateItem/DeleteItem/ConditionCheckItem, GetItem).
  'dynamodb:TransactGetItems': ['dynamodb:GetItem'],
};

/** lib-dynamodb document commands -> the DynamoDB operation they send. */
const DOCUMENT_COMMANDS: Record<string, string> = {
  GetCommand: 'GetItem',
  PutCommand: 'PutItem',
  UpdateCommand: 'UpdateItem',
  DeleteCommand: 'DeleteItem',
  QueryCommand: 'Query',
  ScanCommand: 'Scan',
  BatchGetCommand: 'BatchGetItem',
  BatchWriteCommand: 'BatchWriteItem',
  TransactGetCommand: 'TransactGetItems',
  TransactWriteCommand: 'TransactWriteItems',
  ExecuteStatementCommand: 'ExecuteStatement',
  BatchExecuteStatementCommand: 'BatchExecuteStatement',
  ExecuteTransactionCommand: 'ExecuteTransaction',
};

/** The item kinds inside TransactWriteItems and the actions they need. */
const TRANSACT_ITEM_ACTIONS: Record<string, string> = {
  Put: 'dynamodb:PutItem',
  Update: 'dynamodb:UpdateItem',
  Delete: 'dynamodb:DeleteItem',
  ConditionCheck: 'dynamodb:ConditionCheckItem',
};

/** Operations no IAM policy can grant item by item and that the scanner will not guess. */
const UNMAPPABLE = new Set([
  'dynamodb:ExecuteStatement',
  'dynamodb:BatchExecuteStatement',
  'dynamodb:ExecuteTransaction',
]);

interface ModuleInfo {
  file: string;
  /** local name -> where it was imported from (type-only imports excluded). */
  imports: Map<string, { specifier: string; imported: string }>;
  /** Modules loaded whole: namespace/side-effect/dynamic imports, and `export * as x`. */
  wholeImports: string[];
  /** export name -> local name, for `export { local as name }` and `export function name`. */
  localExports: Map<string, string>;
  /** export name -> (specifier, imported name), for `export { a as b } from './x'`. */
  reExports: Map<string, { specifier: string; imported: string }>;
  /** `export * from './x'` */
  starExports: string[];
  /** Names declared at the top level (functions, classes, variables). */
  declarations: Set<string>;
  commandSites: { localName: string; line: number; namespace?: string; readsIndex?: boolean }[];
  paginatorSites: { localName: string; line: number }[];
  /** Property names of object literals (to find Put/Update/... items of transactions). */
  objectKeys: Set<string>;
  /**
   * Bare specifiers resolved by string at run time, not imported: `import.meta.resolve('pkg/x')`,
   * `register('pkg/hook.mjs', import.meta.url)` (node:module). They must be installed all the same.
   */
  resolvedByName: string[];
}

export class AwsCommandScanner {
  private readonly root: string;
  private readonly moduleCache = new Map<string, ModuleInfo>();
  private readonly workspaceEntries: Map<string, { dir: string; exports: Record<string, string> }>;
  /**
   * The root package's production dependencies: the image installs them for every service
   * (`npm ci --include-workspace-root`), so any workspace may rely on them.
   */
  private readonly rootDependencies: Set<string>;

  constructor(repoRoot: string) {
    this.root = repoRoot;
    this.workspaceEntries = readWorkspaces(repoRoot);
    const rootManifest = path.join(repoRoot, 'package.json');
    this.rootDependencies = new Set(
      existsSync(rootManifest)
        ? Object.keys(
            (JSON.parse(readFileSync(rootManifest, 'utf8')) as { dependencies?: object }).dependencies ?? {},
          )
        : [],
    );
  }

  /**
   * @param preloads modules loaded before the service's entry (the image runs
   *   `node --import @platform/telemetry/register ...`), resolved like imports of the service.
   * @param entries the service's entry modules, relative to services/<name>.
   */
  scanService(
    service: string,
    preloads: readonly string[] = [],
    entries: readonly string[] = ['src/main.ts'],
  ): ServiceScan {
    const serviceSrc = path.join(this.root, 'services', service, 'src');
    const problems: string[] = [];
    if (!existsSync(serviceSrc)) {
      return {
        service,
        modules: [],
        thirdPartySenders: [],
        uses: [],
        actions: new Map(),
        problems: [`no ${serviceSrc}`],
        undeclaredImports: [],
      };
    }
    const reached = new Set<string>();
    const pending: string[] = [];
    for (const entry of entries) {
      const file = path.join(this.root, 'services', service, entry);
      if (existsSync(file)) pending.push(file);
      else problems.push(`entry ${entry} of ${service} does not exist`);
    }
    const requested = new Set<string>(); // `${file}#${name}` already resolved
    const thirdParty = new Map<string, string>(); // package -> directory

    const reachModule = (file: string): void => {
      if (!reached.has(file)) {
        reached.add(file);
        pending.push(file);
      }
    };

    /** Makes the module that declares `name` (following re-exports from `file`) reachable. */
    const resolveExport = (file: string, name: string, depth = 0): boolean => {
      const key = `${file}#${name}`;
      if (requested.has(key)) return true;
      requested.add(key);
      if (depth > 50) return false;
      const info = this.moduleInfo(file);
      const local = info.localExports.get(name);
      if (local !== undefined) {
        const imported = info.imports.get(local);
        if (imported !== undefined && !info.declarations.has(local)) {
          // `import { x } from './y'; export { x }`: the declaration lives in y.
          return this.follow(
            file,
            imported.specifier,
            imported.imported,
            resolveExport,
            reachModule,
            thirdParty,
            problems,
          );
        }
        reachModule(file);
        return true;
      }
      const reExport = info.reExports.get(name);
      if (reExport !== undefined) {
        return this.follow(
          file,
          reExport.specifier,
          reExport.imported,
          resolveExport,
          reachModule,
          thirdParty,
          problems,
        );
      }
      for (const specifier of info.starExports) {
        const target = this.resolveSpecifier(file, specifier);
        if (
          target !== undefined &&
          target.kind === 'module' &&
          this.exportsName(target.file, name, new Set())
        ) {
          return resolveExport(target.file, name, depth + 1);
        }
      }
      return false;
    };

    for (const file of pending) reached.add(file);
    const serviceManifest = path.join(this.root, 'services', service, 'package.json');
    for (const preload of preloads) {
      const target = this.resolveSpecifier(serviceManifest, preload);
      if (target?.kind === 'module') reachModule(target.file);
      else problems.push(`preload ${preload} does not resolve to a workspace module`);
    }
    while (pending.length > 0) {
      const file = pending.pop() as string;
      const info = this.moduleInfo(file);
      for (const { specifier, imported } of info.imports.values()) {
        this.follow(file, specifier, imported, resolveExport, reachModule, thirdParty, problems);
      }
      for (const specifier of info.wholeImports) {
        this.follow(file, specifier, '*', resolveExport, reachModule, thirdParty, problems);
      }
    }

    const uses: CommandUse[] = [];
    const objectKeys = new Set<string>();
    const undeclaredImports = new Set<string>();
    for (const file of reached) {
      const info = this.moduleInfo(file);
      const specifiers = [
        ...[...info.imports.values()].map((i) => i.specifier),
        ...info.wholeImports,
        ...info.resolvedByName,
      ];
      for (const specifier of specifiers) {
        const missing = undeclaredPackage(file, specifier, this.rootDependencies);
        if (missing !== undefined) undeclaredImports.add(`${path.relative(this.root, file)}: ${missing}`);
      }
      info.objectKeys.forEach((key) => objectKeys.add(key));
      uses.push(...this.usesIn(info, problems));
    }
    for (const [pkg, dir] of thirdParty) {
      for (const file of listSources(dir, { includeNodeModules: false, includeDeclarations: false })) {
        for (const use of this.usesIn(this.moduleInfo(file), problems)) uses.push({ ...use, via: pkg });
      }
    }

    const actions = new Map<string, CommandUse[]>();
    const add = (action: string, use: CommandUse): void => {
      const list = actions.get(action) ?? [];
      list.push(use);
      actions.set(action, list);
    };
    for (const use of uses) {
      for (const action of this.actionsFor(use, objectKeys, problems)) add(action, use);
    }
    return {
      service,
      modules: [...reached].map((file) => path.relative(this.root, file)).sort(),
      thirdPartySenders: [...thirdParty.keys()].sort(),
      uses,
      actions,
      problems: [...new Set(problems)],
      undeclaredImports: [...undeclaredImports].sort(),
    };
  }

  /** Follows one import of `name` (or `*` for the whole module) from `fromFile`. */
  private follow(
    fromFile: string,
    specifier: string,
    name: string,
    resolveExport: (file: string, name: string) => boolean,
    reachModule: (file: string) => void,
    thirdParty: Map<string, string>,
    problems: string[],
  ): boolean {
    const target = this.resolveSpecifier(fromFile, specifier);
    if (target === undefined) return false;
    if (target.kind === 'third-party') {
      if (target.sendsAws && !thirdParty.has(target.name)) thirdParty.set(target.name, target.dir);
      return true;
    }
    if (target.kind === 'sdk' || target.kind === 'builtin') return true;
    if (name === '*' || name === 'default') {
      this.reachWhole(target.file, reachModule, resolveExport, new Set());
      return true;
    }
    if (!resolveExport(target.file, name)) {
      // Not found through the export graph: count the module whole rather than miss a call.
      problems.push(
        `${path.relative(this.root, fromFile)}: cannot find export "${name}" of ${specifier}; scanned it whole`,
      );
      this.reachWhole(target.file, reachModule, resolveExport, new Set());
    }
    return true;
  }

  private reachWhole(
    file: string,
    reachModule: (file: string) => void,
    resolveExport: (file: string, name: string) => boolean,
    seen: Set<string>,
  ): void {
    if (seen.has(file)) return;
    seen.add(file);
    reachModule(file);
    const info = this.moduleInfo(file);
    for (const [name] of info.reExports) resolveExport(file, name);
    for (const specifier of info.starExports) {
      const target = this.resolveSpecifier(file, specifier);
      if (target?.kind === 'module') this.reachWhole(target.file, reachModule, resolveExport, seen);
    }
  }

  private exportsName(file: string, name: string, seen: Set<string>): boolean {
    if (seen.has(file)) return false;
    seen.add(file);
    const info = this.moduleInfo(file);
    if (info.localExports.has(name) || info.reExports.has(name)) return true;
    return info.starExports.some((specifier) => {
      const target = this.resolveSpecifier(file, specifier);
      return target?.kind === 'module' && this.exportsName(target.file, name, seen);
    });
  }

  private usesIn(info: ModuleInfo, problems: string[]): CommandUse[] {
    const uses: CommandUse[] = [];
    const rel = path.relative(this.root, info.file);
    for (const [local, { specifier, imported }] of info.imports) {
      if (isSdkPackage(specifier) && AGGREGATED_CLIENTS.has(imported)) {
        problems.push(
          `${rel}: imports the aggregated client ${imported} from ${specifier}; use XxxCommand with client.send() so calls can be audited (${local})`,
        );
      }
    }
    for (const site of info.commandSites) {
      const origin =
        site.namespace === undefined
          ? info.imports.get(site.localName)
          : {
              specifier: info.imports.get(`* as ${site.namespace}`)?.specifier ?? '',
              imported: site.localName,
            };
      if (origin === undefined || !isSdkPackage(origin.specifier)) continue;
      uses.push({
        command: origin.imported,
        sdkPackage: origin.specifier,
        file: rel,
        line: site.line,
        ...(site.readsIndex === undefined ? {} : { readsIndex: site.readsIndex }),
      });
    }
    for (const site of info.paginatorSites) {
      const origin = info.imports.get(site.localName);
      if (origin === undefined || !isSdkPackage(origin.specifier)) continue;
      uses.push({ command: origin.imported, sdkPackage: origin.specifier, file: rel, line: site.line });
    }
    return uses;
  }

  private actionsFor(use: CommandUse, objectKeys: Set<string>, problems: string[]): string[] {
    let operation: string;
    let prefix: string;
    const paginated = /^paginate([A-Z]\w*)$/.exec(use.command);
    if (use.sdkPackage === LIB_DYNAMODB) {
      prefix = 'dynamodb';
      const documentOperation = paginated
        ? DOCUMENT_COMMANDS[`${paginated[1]}Command`]
        : DOCUMENT_COMMANDS[use.command];
      if (documentOperation === undefined) {
        problems.push(`${use.file}:${use.line}: unknown lib-dynamodb command ${use.command}`);
        return [];
      }
      operation = documentOperation;
    } else {
      const client = SDK_CLIENT.exec(use.sdkPackage)?.[1];
      const mapped = client === undefined ? undefined : IAM_PREFIX[client];
      if (mapped === undefined) {
        problems.push(`${use.file}:${use.line}: no IAM prefix known for ${use.sdkPackage}`);
        return [];
      }
      prefix = mapped;
      if (paginated) operation = paginated[1] as string;
      else if (use.command.endsWith('Command')) operation = use.command.slice(0, -'Command'.length);
      else return [];
    }
    const action = `${prefix}:${operation}`;
    if (UNMAPPABLE.has(action)) {
      problems.push(
        `${use.file}:${use.line}: ${action} (PartiQL) is not mapped to item actions; grant and map it explicitly`,
      );
      return [];
    }
    if (action === 'dynamodb:TransactWriteItems') {
      const kinds = Object.keys(TRANSACT_ITEM_ACTIONS).filter((kind) => objectKeys.has(kind));
      if (kinds.length === 0) {
        problems.push(
          `${use.file}:${use.line}: TransactWriteItems used but no Put/Update/Delete/ConditionCheck item found`,
        );
      }
      return kinds.map((kind) => TRANSACT_ITEM_ACTIONS[kind] as string);
    }
    return ACTION_OVERRIDES[action] ?? [action];
  }

  private resolveSpecifier(
    fromFile: string,
    specifier: string,
  ):
    | { kind: 'module'; file: string }
    | { kind: 'sdk' }
    | { kind: 'builtin' }
    | { kind: 'third-party'; name: string; dir: string; sendsAws: boolean }
    | undefined {
    if (specifier.startsWith('node:')) return { kind: 'builtin' };
    if (specifier.startsWith('.') || specifier.startsWith('/')) {
      const file = resolveFile(path.resolve(path.dirname(fromFile), specifier));
      return file === undefined ? undefined : { kind: 'module', file };
    }
    if (isSdkPackage(specifier) || specifier.startsWith('@aws-sdk/')) return { kind: 'sdk' };
    const packageName = specifier.startsWith('@')
      ? specifier.split('/').slice(0, 2).join('/')
      : (specifier.split('/')[0] as string);
    const workspace = this.workspaceEntries.get(packageName);
    if (workspace !== undefined) {
      const subpath = specifier === packageName ? '.' : `./${specifier.slice(packageName.length + 1)}`;
      const entry = workspace.exports[subpath];
      if (entry === undefined)
        throw new Error(`${specifier} (imported by ${fromFile}) is not in the exports of ${packageName}`);
      const file = resolveFile(path.join(workspace.dir, entry));
      return file === undefined ? undefined : { kind: 'module', file };
    }
    const dir = findPackageDir(packageName, path.dirname(fromFile));
    if (dir === undefined) return { kind: 'builtin' }; // e.g. `fs` without the node: prefix
    return { kind: 'third-party', name: packageName, dir, sendsAws: dependsOnSdkClient(dir) };
  }

  private moduleInfo(file: string): ModuleInfo {
    const cached = this.moduleCache.get(file);
    if (cached !== undefined) return cached;
    const info = parseModule(file);
    this.moduleCache.set(file, info);
    return info;
  }
}

/** The package `specifier` names if the workspace owning `file` does not declare it, else undefined. */
function undeclaredPackage(
  file: string,
  specifier: string,
  rootDependencies: Set<string>,
): string | undefined {
  if (specifier.startsWith('.') || specifier.startsWith('/') || isBuiltin(specifier)) return undefined;
  const packageName = specifier.startsWith('@')
    ? specifier.split('/').slice(0, 2).join('/')
    : (specifier.split('/')[0] as string);
  if (rootDependencies.has(packageName)) return undefined;
  for (let dir = path.dirname(file); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const manifestPath = path.join(dir, 'package.json');
    if (!existsSync(manifestPath)) continue;
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as {
      name?: string;
      dependencies?: Record<string, string>;
      optionalDependencies?: Record<string, string>;
      peerDependencies?: Record<string, string>;
    };
    if (manifest.name === packageName) return undefined; // self-reference
    const declared = {
      ...manifest.dependencies,
      ...manifest.optionalDependencies,
      ...manifest.peerDependencies,
    };
    return packageName in declared ? undefined : packageName;
  }
  return undefined;
}

function isSdkPackage(specifier: string): boolean {
  return SDK_CLIENT.test(specifier) || specifier === LIB_DYNAMODB;
}

function parseModule(file: string): ModuleInfo {
  // JSON (schemas imported `with { type: 'json' }`) and other assets hold no code.
  const text = SOURCE_EXTENSIONS.some((extension) => file.endsWith(extension))
    ? readFileSync(file, 'utf8')
    : '';
  const kind = /\.[cm]?js$/.test(file) ? ts.ScriptKind.JS : ts.ScriptKind.TS;
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, kind);
  const info: ModuleInfo = {
    file,
    imports: new Map(),
    wholeImports: [],
    localExports: new Map(),
    reExports: new Map(),
    starExports: [],
    declarations: new Set(),
    commandSites: [],
    paginatorSites: [],
    objectKeys: new Set(),
    resolvedByName: [],
  };
  const lineOf = (node: ts.Node): number =>
    source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
  const isExported = (node: ts.Node): boolean =>
    ts.canHaveModifiers(node) &&
    (ts.getModifiers(node) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
  const isDefault = (node: ts.Node): boolean =>
    ts.canHaveModifiers(node) &&
    (ts.getModifiers(node) ?? []).some((m) => m.kind === ts.SyntaxKind.DefaultKeyword);

  for (const statement of source.statements) {
    if (ts.isImportDeclaration(statement) && ts.isStringLiteral(statement.moduleSpecifier)) {
      const specifier = statement.moduleSpecifier.text;
      const clause = statement.importClause;
      if (clause === undefined) {
        info.wholeImports.push(specifier); // side-effect import
        continue;
      }
      if (clause.isTypeOnly) continue;
      if (clause.name !== undefined) info.imports.set(clause.name.text, { specifier, imported: 'default' });
      const bindings = clause.namedBindings;
      if (bindings !== undefined && ts.isNamespaceImport(bindings)) {
        info.wholeImports.push(specifier);
        info.imports.set(`* as ${bindings.name.text}`, { specifier, imported: '*' });
      } else if (bindings !== undefined) {
        for (const element of bindings.elements) {
          if (element.isTypeOnly) continue;
          info.imports.set(element.name.text, {
            specifier,
            imported: (element.propertyName ?? element.name).text,
          });
        }
      }
      continue;
    }
    if (ts.isExportDeclaration(statement)) {
      if (statement.isTypeOnly) continue;
      const specifier =
        statement.moduleSpecifier !== undefined && ts.isStringLiteral(statement.moduleSpecifier)
          ? statement.moduleSpecifier.text
          : undefined;
      const clause = statement.exportClause;
      if (clause === undefined) {
        if (specifier !== undefined) info.starExports.push(specifier);
      } else if (ts.isNamespaceExport(clause)) {
        if (specifier !== undefined) info.reExports.set(clause.name.text, { specifier, imported: '*' });
      } else {
        for (const element of clause.elements) {
          if (element.isTypeOnly) continue;
          const exported = element.name.text;
          const original = (element.propertyName ?? element.name).text;
          if (specifier !== undefined) info.reExports.set(exported, { specifier, imported: original });
          else info.localExports.set(exported, original);
        }
      }
      continue;
    }
    if (ts.isExportAssignment(statement)) {
      info.localExports.set('default', 'default');
      info.declarations.add('default');
      continue;
    }
    const exported = isExported(statement);
    const declare = (name: string): void => {
      info.declarations.add(name);
      if (exported) info.localExports.set(isDefault(statement) ? 'default' : name, name);
    };
    if (
      (ts.isFunctionDeclaration(statement) || ts.isClassDeclaration(statement)) &&
      statement.name !== undefined
    ) {
      declare(statement.name.text);
    } else if (ts.isVariableStatement(statement)) {
      for (const declaration of statement.declarationList.declarations) {
        for (const name of bindingNames(declaration.name)) declare(name);
      }
    } else if (ts.isEnumDeclaration(statement)) {
      declare(statement.name.text);
    }
  }

  const visit = (node: ts.Node): void => {
    if (ts.isNewExpression(node)) {
      const callee = node.expression;
      const input = node.arguments?.[0];
      const readsIndex =
        input !== undefined && ts.isObjectLiteralExpression(input)
          ? input.properties.some(
              (p) => p.name !== undefined && ts.isIdentifier(p.name) && p.name.text === 'IndexName',
            )
          : undefined;
      const site = { line: lineOf(node), ...(readsIndex === undefined ? {} : { readsIndex }) };
      if (ts.isIdentifier(callee)) info.commandSites.push({ localName: callee.text, ...site });
      else if (ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.expression)) {
        info.commandSites.push({ localName: callee.name.text, namespace: callee.expression.text, ...site });
      }
      // `new URL('./thread.ts', import.meta.url)`: a module loaded by path (worker threads).
      if (
        ts.isIdentifier(callee) &&
        callee.text === 'URL' &&
        input !== undefined &&
        ts.isStringLiteralLike(input) &&
        input.text.startsWith('.') &&
        SOURCE_EXTENSIONS.some((extension) => input.text.endsWith(extension)) &&
        node.arguments?.[1]?.getText(source) === 'import.meta.url'
      ) {
        info.wholeImports.push(input.text);
      }
    } else if (ts.isCallExpression(node)) {
      if (node.expression.kind === ts.SyntaxKind.ImportKeyword) {
        recordDynamicImport(node, info);
      } else if (ts.isIdentifier(node.expression) && /^paginate[A-Z]/.test(node.expression.text)) {
        info.paginatorSites.push({ localName: node.expression.text, line: lineOf(node) });
      }
      const [first, second] = node.arguments;
      const callee = node.expression.getText(source);
      const resolvesByName =
        callee === 'import.meta.resolve' ||
        (second !== undefined && second.getText(source) === 'import.meta.url');
      if (
        resolvesByName &&
        first !== undefined &&
        ts.isStringLiteralLike(first) &&
        !/^[./]|^node:|^file:/.test(first.text)
      ) {
        info.resolvedByName.push(first.text);
      }
    } else if (ts.isPropertyAssignment(node) || ts.isShorthandPropertyAssignment(node)) {
      const name = node.name;
      if (ts.isIdentifier(name) || ts.isStringLiteral(name)) info.objectKeys.add(name.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return info;
}

/** `await import('x')`: `const { A, B: C } = await import('x')` imports names, anything else the whole module. */
function recordDynamicImport(call: ts.CallExpression, info: ModuleInfo): void {
  const argument = call.arguments[0];
  if (argument === undefined || !ts.isStringLiteralLike(argument)) return;
  const specifier = argument.text;
  let parent: ts.Node = call.parent;
  if (ts.isAwaitExpression(parent)) parent = parent.parent;
  if (ts.isVariableDeclaration(parent) && ts.isObjectBindingPattern(parent.name)) {
    for (const element of parent.name.elements) {
      const imported = element.propertyName ?? element.name;
      if (ts.isIdentifier(element.name) && (ts.isIdentifier(imported) || ts.isStringLiteral(imported))) {
        info.imports.set(element.name.text, { specifier, imported: imported.text });
      }
    }
    return;
  }
  info.wholeImports.push(specifier);
  if (ts.isVariableDeclaration(parent) && ts.isIdentifier(parent.name)) {
    info.imports.set(`* as ${parent.name.text}`, { specifier, imported: '*' });
  }
}

function bindingNames(name: ts.BindingName): string[] {
  if (ts.isIdentifier(name)) return [name.text];
  return name.elements.flatMap((element) =>
    ts.isOmittedExpression(element) ? [] : bindingNames(element.name),
  );
}

function resolveFile(candidate: string): string | undefined {
  if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  for (const extension of SOURCE_EXTENSIONS) {
    if (existsSync(candidate + extension)) return candidate + extension;
  }
  for (const extension of SOURCE_EXTENSIONS) {
    const index = path.join(candidate, `index${extension}`);
    if (existsSync(index)) return index;
  }
  return undefined;
}

function listSources(
  dir: string,
  { includeNodeModules = false, includeDeclarations = false } = {},
): string[] {
  const files: string[] = [];
  const walk = (current: string): void => {
    for (const entry of readdirSync(current, { withFileTypes: true })) {
      const full = path.join(current, entry.name);
      if (entry.isDirectory()) {
        if (entry.name === 'node_modules' && !includeNodeModules) continue;
        walk(full);
      } else if (
        SOURCE_EXTENSIONS.some((extension) => entry.name.endsWith(extension)) &&
        !TEST_FILE.test(entry.name) &&
        (includeDeclarations || !/\.d\.[cm]?ts$/.test(entry.name))
      ) {
        files.push(full);
      }
    }
  };
  walk(dir);
  return files.sort();
}

function readWorkspaces(root: string): Map<string, { dir: string; exports: Record<string, string> }> {
  const entries = new Map<string, { dir: string; exports: Record<string, string> }>();
  for (const group of ['libs', 'services']) {
    const groupDir = path.join(root, group);
    if (!existsSync(groupDir)) continue;
    for (const name of readdirSync(groupDir)) {
      const manifestPath = path.join(groupDir, name, 'package.json');
      if (!existsSync(manifestPath)) continue;
      const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as {
        name?: string;
        main?: string;
        exports?: string | Record<string, string | Record<string, string>>;
      };
      if (manifest.name === undefined) continue;
      entries.set(manifest.name, { dir: path.join(groupDir, name), exports: exportMap(manifest) });
    }
  }
  return entries;
}

/** Subpath -> file of a workspace package (conditions: import, then default). */
function exportMap(manifest: {
  main?: string;
  exports?: string | Record<string, string | Record<string, string>>;
}): Record<string, string> {
  const { exports } = manifest;
  if (exports === undefined) return manifest.main === undefined ? {} : { '.': manifest.main };
  if (typeof exports === 'string') return { '.': exports };
  const map: Record<string, string> = {};
  for (const [subpath, target] of Object.entries(exports)) {
    const file = typeof target === 'string' ? target : (target.import ?? target.default);
    if (file !== undefined) map[subpath] = file;
  }
  return map;
}

function findPackageDir(name: string, fromDir: string): string | undefined {
  for (let dir = fromDir; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name);
    if (existsSync(path.join(candidate, 'package.json'))) return candidate;
    if (dir === path.dirname(dir)) return undefined;
  }
}

function dependsOnSdkClient(dir: string): boolean {
  const manifest = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
    peerDependencies?: Record<string, string>;
  };
  return Object.keys({ ...manifest.dependencies, ...manifest.peerDependencies }).some(
    (dependency) => SDK_CLIENT.test(dependency) || dependency === LIB_DYNAMODB,
  );
}

/** Plain-text summary, e.g. for `node test/deploy/lib/awsCommandScanner.ts`. */
export function formatScan(scan: ServiceScan): string {
  const lines = [
    `${scan.service}: ${scan.modules.length} modules, ${scan.uses.length} command sites, ${scan.actions.size} IAM actions` +
      (scan.thirdPartySenders.length > 0
        ? ` (incl. calls made by ${scan.thirdPartySenders.join(', ')})`
        : ''),
  ];
  for (const [action, uses] of [...scan.actions].sort(([a], [b]) => a.localeCompare(b))) {
    const where = [
      ...new Set(uses.map((use) => (use.via === undefined ? `${use.file}:${use.line}` : `via ${use.via}`))),
    ];
    lines.push(
      `  ${action.padEnd(34)} ${where.slice(0, 3).join(', ')}${where.length > 3 ? `, +${where.length - 3}` : ''}`,
    );
  }
  for (const problem of scan.problems) lines.push(`  PROBLEM ${problem}`);
  for (const missing of scan.undeclaredImports) lines.push(`  UNDECLARED ${missing}`);
  return lines.join('\n');
}

/**
 *   node test/deploy/lib/awsCommandScanner.ts [service...] [--entry=src/cli/jobs.ts]
 * prints what each service's pod (or, with --entry, another entry such as an operator CLI) sends.
 */
if (import.meta.main) {
  const root = path.resolve(import.meta.dirname, '../../..');
  const scanner = new AwsCommandScanner(root);
  const args = process.argv.slice(2);
  const entries = args.filter((arg) => arg.startsWith('--entry=')).map((arg) => arg.slice('--entry='.length));
  const services = args.filter((arg) => !arg.startsWith('--'));
  const names = services.length > 0 ? services : readdirSync(path.join(root, 'services'));
  for (const service of names) {
    const scan =
      entries.length > 0
        ? scanner.scanService(service, [], entries)
        : scanner.scanService(service, ['@platform/service-runtime/register']);
    console.log(formatScan(scan));
  }
}
