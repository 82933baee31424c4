#!/bin/bash
{%- set resumable = cookiecutter.callback_checkpoint and cookiecutter.__runs_dir == "logs" %}
# Train {{ cookiecutter.project_name }} on a SLURM cluster with configs/trainer/multinode.yaml:
#
#     sbatch scripts/slurm.sh [more arguments for fit]
#
# Nodes, tasks and GPUs per node must match num_nodes and devices in configs/trainer/multinode.yaml;
# srun starts one process per GPU and Lightning reads its rank from SLURM's environment.
# Ninety seconds before the time limit SLURM sends SIGUSR1: Lightning saves a checkpoint and requeues
# the job, and the requeued job resumes from it by itself{{ " (--resume=true)" if resumable }}.
#SBATCH --job-name={{ cookiecutter.project_slug }}
#SBATCH --nodes=2
#SBATCH --ntasks-per-node=4
#SBATCH --gpus-per-node=4
#SBATCH --cpus-per-task=8
#SBATCH --time=24:00:00
#SBATCH --signal=SIGUSR1@90
#SBATCH --requeue
#SBATCH --open-mode=append
#SBATCH --output=%x-%j.out

set -euo pipefail
srun python -m {{ cookiecutter.package_name }} fit --config configs/trainer/multinode.yaml{{ " --resume=true" if resumable }} "$@"
