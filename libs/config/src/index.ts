export {
  readConfig,
  intInRange,
  numberInRange,
  list,
  exitOnConfigError,
  bool,
  num,
  str,
  url,
  port,
  json,
} from './readConfig.ts';
