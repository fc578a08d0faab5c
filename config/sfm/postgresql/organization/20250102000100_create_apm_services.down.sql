DROP TABLE IF EXISTS apm_services;
