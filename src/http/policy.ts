// axios loads on the first HTTP call, so commands that make none (`rotate --help`) start fast;
// and from its single-file CommonJS build, which Node reads in about two thirds of the time its
// tree of ES modules takes.
import { createRequire } from "node:module";
import type { AxiosInstance, AxiosStatic, CreateAxiosDefaults } from "axios";

export function createHttp(defaults: CreateAxiosDefaults): AxiosInstance {
  const axios = createRequire(import.meta.url)("axios") as AxiosStatic;
  return axios.create(defaults);
}
